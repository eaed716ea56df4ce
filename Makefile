# Two commands: `make run` serves Odoo with the demo, `make test` runs the tests.
.PHONY: run run-cluster stop-cluster reset test lint shell stop bench load-test

run:
	tools/dev.sh run

run-cluster:
	tools/dev.sh run-cluster

stop-cluster:
	tools/dev.sh stop-cluster

reset:
	tools/dev.sh run --reset

test:
	tools/dev.sh test

lint:
	tools/dev.sh lint

shell:
	tools/dev.sh shell

stop:
	tools/dev.sh stop

load-test:
	.venv/bin/python bench/load_operators.py $(ARGS)

bench:
	.venv/bin/python bench/generate_company.py --db crm_relationship_bench --scale $(or $(SCALE),1.0)
	.venv/bin/python bench/bench_web_screens.py --db crm_relationship_bench
