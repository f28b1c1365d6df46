# iam-repro: regenerate every run, table, figure and the book.
#   snakemake --cores 32                           # paper scale (config/config.yaml: preset)
#   snakemake --cores 2 --config preset=quick      # the README's quick pipeline
import os
import sys

from snakemake.utils import min_version

min_version("9.0")


configfile: os.path.join(workflow.basedir, "config", "config.yaml")


# The Snakefile itself imports this checkout's library (config validation), installed or not.
sys.path.insert(0, os.path.join(workflow.basedir, "src"))


include: "workflow/rules/common.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/plot.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        BOOK_INDEX,
