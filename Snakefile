# iam-repro: regenerate every run, table, figure and the book.
#   snakemake --cores 32                           # paper scale (config/config.yaml: preset)
#   snakemake --cores 2 --config preset=quick      # the README's quick pipeline
import os
import sys

from snakemake.utils import min_version

min_version("9.0")


configfile: os.path.join(workflow.basedir, "config", "config.yaml")


# This checkout's library, installed or not (an installed copy may be another checkout's):
# the Snakefile imports it for config validation through sys.path, and every job (a script in a
# fresh Python: local, in a --use-conda env, or on a cluster node, which inherits this
# environment or parses this Snakefile again) through PYTHONPATH, set here and only here.
# (update(), not item assignment, which `snakemake --lint` takes for a variable to require.)
SRC = os.path.join(workflow.basedir, "src")
sys.path.insert(0, SRC)
_OTHER_PATHS = [
    p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != SRC
]
os.environ.update(PYTHONPATH=os.pathsep.join([SRC, *_OTHER_PATHS]))


include: "workflow/rules/common.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/baseline.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/plot.smk"
include: "workflow/rules/across.smk"
include: "workflow/rules/archive.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        BOOK_INDEX,
