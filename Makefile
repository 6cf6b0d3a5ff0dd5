# Two entry points, each installing what it needs first:
#   make dashboard   install into .venv and start the dashboard on sample_data/
#   make test        install into .venv (and Debian's chromium) and run the whole test suite
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
STAMP  := $(VENV)/.installed

.PHONY: install dashboard test chromium bench

install: $(STAMP)

$(STAMP): requirements.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0          # the CPU wheel, before anything can pull CUDA
	$(PY) -m pip install -q -r requirements.txt
	touch $@

chromium:
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }

dashboard: install
	$(VENV)/bin/streamlit run dashboard/app.py --server.port $(PORT) --server.headless true -- --data sample_data

test: install chromium
	$(PY) -m pytest -q -n 2 --durations=15
