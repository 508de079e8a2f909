# Kernel history: bisect over the builds from 6.12 to the newest, kernels cached:
# boots used vs ceil(log2 N) and wall time (target <= 60 s on 2 cores).
# Run: bench/bisect_bench.sh build/tristate [QUIZ] [FROM]   (a script: it drives the CLI)
