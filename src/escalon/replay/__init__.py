"""The replay around the pure loop of `escalon.core.replay`: in this process or on several.

`local` runs a replay here (its detector, its `--until`, its decisions written) and `jobs`
spreads one over processes, a shard of the cases each, merged into the single replay's output.
The command line (`escalon.cli.replay`) only reads options, draws progress and prints.
"""
