from pathlib import Path

import pytest

from stakework.spec.presets import DEVNET, MAINNET, MINIMAL, STAKEWORK_ONLY_FIELDS, PresetError, load_preset


def test_mainnet__electra_values__match_the_spec() -> None:
    assert MAINNET.SLOTS_PER_EPOCH == 32
    assert MAINNET.MAX_EFFECTIVE_BALANCE_ELECTRA == 2048 * 10**9
    assert MAINNET.MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA == 4096
    assert MAINNET.MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA == 128 * 10**9
    assert MAINNET.MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT == 256 * 10**9
    assert MAINNET.INACTIVITY_PENALTY_QUOTIENT_BELLATRIX == 2**24


def test_presets__every_field__equals_the_reference_spec_module() -> None:
    from eth_consensus_specs.electra import mainnet, minimal

    for preset, spec in ((MAINNET, mainnet), (MINIMAL, minimal)):
        for name in preset.__dataclass_fields__:
            if name in STAKEWORK_ONLY_FIELDS:
                continue
            expected = getattr(spec, name, None)
            if expected is None:
                expected = getattr(spec.config, name)
            assert getattr(preset, name) == (
                bytes(expected) if isinstance(getattr(preset, name), bytes) else int(expected)
            ), name


def test_devnet__derives_from_minimal__with_fast_slots() -> None:
    assert DEVNET.SLOTS_PER_EPOCH == MINIMAL.SLOTS_PER_EPOCH
    assert DEVNET.SLOT_DURATION_MS < MINIMAL.SLOT_DURATION_MS
    assert DEVNET.GENESIS_FORK_VERSION != MAINNET.GENESIS_FORK_VERSION


def test_load_preset__toml_override__applies_to_base(tmp_path: Path) -> None:
    f = tmp_path / "p.toml"
    f.write_text('base = "mainnet"\nPRESET_NAME = "fast"\nSLOTS_PER_EPOCH = 4\n')
    p = load_preset(f)
    assert p.SLOTS_PER_EPOCH == 4 and p.MAX_EFFECTIVE_BALANCE_ELECTRA == MAINNET.MAX_EFFECTIVE_BALANCE_ELECTRA
    assert p.PRESET_NAME == "fast"


def test_load_preset__yaml_override__applies_to_base(tmp_path: Path) -> None:
    f = tmp_path / "p.yaml"
    f.write_text("base: minimal\nEJECTION_BALANCE: 8000000000\nGENESIS_FORK_VERSION: '0x01020304'\n")
    p = load_preset(f)
    assert p.EJECTION_BALANCE == 8 * 10**9 and bytes([1, 2, 3, 4]) == p.GENESIS_FORK_VERSION


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ("SLOTS_PER_EPOCH = 0", "SLOTS_PER_EPOCH"),
        ("SLOTS_PER_EPOK = 8", "SLOTS_PER_EPOK"),
        ("MAX_EFFECTIVE_BALANCE_ELECTRA = 16000000000", "MAX_EFFECTIVE_BALANCE_ELECTRA"),
        ('SLOTS_PER_EPOCH = "eight"', "SLOTS_PER_EPOCH"),
        ("EPOCHS_PER_SLASHINGS_VECTOR = 100", "EPOCHS_PER_SLASHINGS_VECTOR"),
        ("EJECTION_BALANCE = 40000000000", "EJECTION_BALANCE"),
        ("SLOTS_PER_EPOCH = -1", "SLOTS_PER_EPOCH"),
    ],
)
def test_load_preset__impossible_value__error_names_the_key(tmp_path: Path, body: str, key: str) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(body + "\n")
    with pytest.raises(PresetError, match=key):
        load_preset(f)


def test_load_preset__unknown_name__lists_known_presets() -> None:
    with pytest.raises(PresetError, match="mainnet, minimal, devnet"):
        load_preset("testnet")


def test_load_preset__broken_toml__is_refused(tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text("SLOTS_PER_EPOCH = = 3\n")
    with pytest.raises(PresetError, match="not valid TOML"):
        load_preset(f)


def test_preset__is_frozen() -> None:
    with pytest.raises(AttributeError):
        MAINNET.SLOTS_PER_EPOCH = 1  # type: ignore[misc]
