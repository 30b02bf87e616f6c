"""Peak memory of the largest case."""

from __future__ import annotations

from common import *  # noqa: F401,F403  (the sizes, settings and helpers)

# ---------------------------------------------------------------- 6. memory

_MEMORY_CHILD = textwrap.dedent("""
    import resource, sys
    sys.path.insert(0, {here!r})
    import bench_symbolic
    from derive.engine.compiled import CompiledGradient
    from derive.engine.network import build_network
    from derive.spec import load_spec
    from derive.engine.symbolic import build_model
    stage = {stage!r}
    if stage != "import":
        model = build_model(build_network(load_spec(bench_symbolic.network_spec({n_inputs}, {widths}))))
    if stage == "compiled":
        CompiledGradient(model)()
    try:  # this process's own peak: ru_maxrss would also count its parent's, as Linux keeps it across exec
        print(next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")))
    except OSError:
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
""")


def run_memory(settings: Settings) -> Section:
    label, n_inputs, widths = settings.sizes[-1]
    stages = {"import": "Python + SymPy + derive imported", "symbolic": f"{label}: symbolic model built",
              "compiled": f"{label}: model + CompiledGradient compiled and called once"}
    peaks = {}
    for stage in stages:
        code = _MEMORY_CHILD.format(here=str(HERE), stage=stage, n_inputs=n_inputs, widths=widths)
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
        peaks[stage] = int(out.split()[-1]) / 1024  # KiB
    lines = [
        "Peak resident memory of a fresh process at the end of each stage (its `VmHWM`; "
        "`ru_maxrss` on Linux would include the benchmark's own peak, which it inherits across exec).",
        "",
        "| stage | peak RSS (MiB) |",
        "| --- | ---: |",
        *(f"| {text} | {peaks[stage]:,.0f} |" for stage, text in stages.items()),
    ]
    return Section("6. Peak memory of the largest case", lines)
