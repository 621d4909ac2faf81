"""What the README says about the local setup is what the code does."""

import re
from pathlib import Path

import pytest

from oms.operations.marketplace import marketplace_setup

README = Path(__file__).resolve().parents[2] / "README.md"
NUMBERS = {"three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}


@pytest.mark.django_db
def test_the_readme_counts_the_transitions_setup_marketplace_defines() -> None:
    done = marketplace_setup(channel_id=None, cargo_company_id=None, auto_run=True).done
    transitions = [line for line in done if line.startswith("transition ")]
    packaging = [line for line in transitions if "CHANNEL_BASED_COMPLETE_PACKAGING" in line]

    stated = re.findall(r"the flow's (\w+) transitions", README.read_text())
    assert stated, "the README no longer says how many transitions setup_marketplace defines"
    assert {NUMBERS[word] for word in stated} == {len(transitions)}
    assert f"{_word(len(packaging))} of them `CHANNEL_BASED_COMPLETE_PACKAGING`" in README.read_text()


def test_the_readme_lists_only_what_the_data_directory_holds() -> None:
    row = next(line for line in README.read_text().splitlines() if line.startswith("| `OMS_DATA_DIR`"))

    assert "logs" not in row  # `oms serve` logs to its terminal, not to the data directory
    assert "local-mode.json" in row


def _word(number: int) -> str:
    return {value: word for word, value in NUMBERS.items()}[number]
