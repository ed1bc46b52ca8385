"""Print the SIMD dispatch levels above numpy's baseline that numpy finds on this CPU.

`make test` runs nbval a second time with NPY_DISABLE_CPU_FEATURES set to this list, so the
notebooks are executed on another path through numpy's kernels (exp, tanh, sums, ...). An output
that holds on both paths does not depend on the CPU it was made on.

Usage: python tools/simd_levels.py            # e.g. "X86_V3 X86_V4 AVX512_ICL AVX512_SPR"
       python tools/simd_levels.py --check    # run in a child with them disabled and say so
The list is read from numpy at run time (in a child process with NPY_DISABLE_CPU_FEATURES unset,
so that a value already in the environment does not hide levels); it is empty on a CPU that has
nothing above the baseline.
"""
import json
import os
import subprocess
import sys

_PROBE = ("import json; from numpy._core._multiarray_umath import "
          "__cpu_baseline__ as b, __cpu_dispatch__ as d, __cpu_features__ as f; "
          "print(json.dumps({'baseline': list(b), 'dispatch': list(d), "
          "'on': [k for k in d if f.get(k)]}))")


def probe(env=None):
    """What numpy reports in a fresh interpreter run with `env`: baseline, dispatch levels, levels on."""
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def levels_above_baseline():
    """The dispatch levels above the baseline that this CPU has (numpy's names, in numpy's order)."""
    env = {k: v for k, v in os.environ.items() if k != "NPY_DISABLE_CPU_FEATURES"}
    return probe(env)["on"]


def main(argv):
    levels = levels_above_baseline()
    if "--check" in argv:
        env = dict(os.environ, NPY_DISABLE_CPU_FEATURES=" ".join(levels))
        still_on = probe(env)["on"]
        print(f"numpy dispatch levels above baseline on this CPU: {' '.join(levels) or '(none)'}; "
              f"with them disabled, still on: {' '.join(still_on) or '(none)'}")
        return 1 if still_on else 0
    print(" ".join(levels))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
