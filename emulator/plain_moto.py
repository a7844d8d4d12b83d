"""pytest plugin: run tests on plain moto, without :mod:`emulator.aws_like`.

``PYTHONPATH=. .venv/bin/pytest -p emulator.plain_moto tests/emulator`` shows which of AWS's refusals moto
still lacks: after a moto upgrade, a test of ``tests/emulator`` that passes here names a workaround to drop.
"""

from emulator import aws_like

aws_like.apply = lambda: None
