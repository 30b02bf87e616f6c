"""The Jinja2 templates of the worked solutions (shipped in the wheel as ``derive.templates``)."""
