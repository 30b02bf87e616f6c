"""``derive train SPEC --steps N``: a training run, as a table or JSON."""

from __future__ import annotations

# The stages below are imported inside the functions, for start-up time: building the parser
# (derive --help, --version) and refusing a missing file load no SymPy (tests/test_startup.py).

import argparse

FORMATS = ("table", "json", "md", "tex", "html", "pdf")

STEPS_HELP = """\
Error semantics: the error printed for step i (and loss_history[i] in JSON) is E_total
after i updates, so step 0 is the error of the spec's own parameters and a run of N steps
has N + 1 errors. Each step is one full-batch update by the spec's optimizer (sgd, momentum
or adam, PyTorch's conventions). Biases that are not trained stay fixed.

Conventions (each off by default, i.e. the textbook algorithm; a flag overrides the spec's
'conventions:', 'loss', 'reduction' and 'log_base'):
  --backprop-through-updated-weights
        hidden-layer deltas use the output weights already updated in this step, as the
        code behind the 2-2-2 tutorial's published training figures did (sgd only)
  --carry-rounding N
        round every computed value to N decimals before it is used again ('off' for none)
  --loss half_sse|sse|mse|...   1/2 sum, sum, or mean over the outputs of the squared error
  --reduction sum|mean          sum or mean of the error over the examples of a batch
  --log-base e|2|10             the logarithm's base in cross-entropy
"""


def add_parser(sub) -> None:
    from ..io.limits import MAX_STEPS, MAX_TIMEOUT
    from .options import seconds, whole

    p = sub.add_parser("train", help="run N gradient-descent steps and report the error",
                       description="Train SPEC (a YAML/JSON file or a built-in example's name) for N "
                                   "full-batch steps and report the error after each step, the final "
                                   "parameters and outputs.",
                       epilog=STEPS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("spec", metavar="SPEC", help="spec file, or the name of a built-in example")
    p.add_argument("--steps", "-n", type=whole("--steps", 0, MAX_STEPS), required=True, metavar="N",
                   help="number of steps (updates); 0 just evaluates the spec's parameters")
    p.add_argument("--format", "-f", choices=FORMATS, default=None,
                   help="table or json; md, tex and pdf add the loss curve and the worked first step (pdf needs "
                        "-o FILE) (default: from the suffix of -o, .txt for the table, else table)")
    p.add_argument("--every", type=whole("--every", 1, MAX_STEPS), metavar="K",
                   help="table: show every K-th step (default: about 20 rows); step 0 and the last always")
    p.add_argument("--epoch-error", choices=("after", "before"), default="after",
                   help="update: online or batch_size: the epoch error reported, at the end of each epoch (after, "
                        "the default) or summed over its updates, each before its update (before)")
    p.add_argument("--shuffle-seed", type=whole("--shuffle-seed", 0), metavar="SEED",
                   help="update: online or batch_size: shuffle the examples each epoch with this seed "
                        "(default: the spec's order)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    from .options import add_lang

    add_lang(p)
    p.add_argument("--template-dir", metavar="DIR",
                   help="md, tex, pdf: a folder of templates that override the shipped ones")
    p.add_argument("--tex-timeout", type=seconds("--tex-timeout", MAX_TIMEOUT), metavar="SECONDS",
                   help="pdf: time TeX may take (default: 120 s plus 1 s per 4 KB of LaTeX)")
    add_convention_arguments(p)


def add_convention_arguments(p) -> None:
    """The convention switches shared by ``train`` and ``check`` (they override the spec)."""
    from ..spec.choices import LOG_BASES, LOSSES, REDUCTIONS

    group = p.add_argument_group("conventions (override the spec; see below)")
    group.add_argument("--backprop-through-updated-weights", action=argparse.BooleanOptionalAction, default=None,
                       help="hidden deltas through the output weights already updated in the step")
    group.add_argument("--carry-rounding", type=_rounding, metavar="N",
                       help="round every computed value to N decimals (0-30), or 'off'")
    group.add_argument("--loss", choices=LOSSES, help="the loss function")
    group.add_argument("--reduction", choices=REDUCTIONS, help="sum or mean of the error over a batch")
    group.add_argument("--log-base", choices=LOG_BASES, help="the logarithm's base in cross-entropy")


def spec_from_args(args):
    """The spec named on the command line with the convention flags applied."""
    from ..engine.train import _UNSET, with_conventions

    rounding = _UNSET if args.carry_rounding is None else (None if args.carry_rounding == "off"
                                                           else args.carry_rounding)
    return with_conventions(args.spec, backprop_through_updated_weights=args.backprop_through_updated_weights,
                            carry_rounding=rounding, loss=args.loss, reduction=args.reduction,
                            log_base=args.log_base)


def _rounding(text: str):
    if text == "off":
        return "off"
    if not (text.isascii() and text.isdigit()) or int(text) > 30:
        raise argparse.ArgumentTypeError(f"--carry-rounding must be a whole number from 0 to 30 or 'off'; got {text!r}")
    return int(text)


def run(args) -> int:
    from ..errors import RenderError
    from ..engine.train import train
    from .options import check_output
    from .output import output_format
    from .solve import emit

    check_output(args, args.spec)
    args.format = output_format(args, FORMATS, default="table", text="table")
    if args.tex_timeout is not None and args.format != "pdf":
        raise RenderError(f"--tex-timeout applies to --format pdf; the format is {args.format}")
    if args.format == "pdf" and not args.output:
        raise RenderError("--format pdf needs an output file: add -o FILE.pdf")
    if args.template_dir is not None:
        if args.format not in ("md", "tex", "pdf", "html"):
            raise RenderError(f"--template-dir applies to --format md, tex, html and pdf; the format is {args.format}")
        from ..render.environment import make_environment

        kind = {"md": "md", "html": "html"}.get(args.format, "tex")
        make_environment(kind, args.template_dir)  # a bad folder fails first
    spec = spec_from_args(args)
    if args.format in ("md", "tex", "pdf", "html"):
        from ..engine.network import build_network
        from ..steps import check_document_size

        # the report holds the worked first step: refused before the run, not after it
        check_document_size(len(build_network(spec).parameters),
                            way_out="use --format table or json, and 'derive solve --only' for a few parameters")
    result = train(spec, args.steps, epoch_error=args.epoch_error, shuffle_seed=args.shuffle_seed)
    if args.format == "json":
        import json

        text = json.dumps(result.to_dict(), indent=2, allow_nan=False) + "\n"
    elif args.format in ("md", "tex", "pdf", "html"):
        from ..render.training import render_training

        kind = {"md": "md", "html": "html"}.get(args.format, "tex")
        text = render_training(result, kind, template_dir=args.template_dir)
        if args.format == "pdf":
            from ..io.texrun import compile_pdf

            compile_pdf(text, args.output, force=args.force, timeout=args.tex_timeout)
            return 0
    else:
        text = format_table(result, args.every)
    return emit(text, args.output, force=args.force)


def format_table(result, every: int | None = None) -> str:
    """The plain-text report of a training run: thinned error table, parameters, outputs."""
    from ..render.training import format_number
    from ..engine.train import conventions_dict

    spec = result.spec
    title = f" ({spec.title})" if spec.title else ""
    lines = [f"{result.steps} steps of {spec.optimizer.name}, learning rate {float(spec.learning_rate):g}{title}"]
    switches = conventions_dict(spec)
    lines.append("conventions: " + ", ".join(f"{k}={_show(v)}" for k, v in switches.items()))
    if result.update != "batch":
        size = "" if result.update == "online" else f" of {spec.batch_size} examples"
        lines.append(f"update: {result.update}{size}; {result.steps} steps (updates) = {result.epochs} complete "
                     f"epoch{'s' * (result.epochs != 1)} of {len(spec.update_groups)} updates; examples "
                     + ("in the spec's order" if result.shuffle_seed is None
                        else f"shuffled each epoch (seed {result.shuffle_seed})"))
        label = ("the error at the end of the epoch" if result.epoch_error == "after"
                 else "summed over the epoch's updates, each before its update")
        lines.append(f"epoch error ({result.epoch_error}: {label}):")
        lines += [f"  epoch {e + 1}: {format_number(x)}" for e, x in enumerate(result.epoch_errors)
                  if e in (0, result.epochs - 1) or (e + 1) % max(1, result.epochs // 10) == 0]
    lines.append("")
    rows = result.thinned(every)
    width = max(4, len(str(result.steps)))
    lines.append(f"{'step':>{width}}  error after the step")
    lines += [f"{step:>{width}}  {format_number(loss)}" for step, loss in rows]
    lines.append("")
    lines.append(f"parameters after {result.steps} steps:")
    pad = max(len(k) for k in result.parameters)
    lines += [f"  {name:<{pad}}  {format_number(value)}" for name, value in result.parameters.items()]
    lines.append(f"outputs after {result.steps} steps:")
    outputs = _output_names(spec)
    for n, row in enumerate(result.outputs):
        prefix = f"  example {n + 1}: " if len(result.outputs) > 1 else "  "
        lines.append(prefix + "  ".join(f"{name} = {format_number(v)}" for name, v in zip(outputs, row)))
    return "\n".join(lines) + "\n"


def _show(value) -> str:
    from ..render.training import switch_text

    return switch_text(value)


def _output_names(spec) -> list[str]:
    from ..engine.network import build_network

    return [f"out_{name}" for name in build_network(spec).output_layer.neurons]
