"""Plots for chain commands (matplotlib, headless)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stakework.spec.types import GWEI_PER_SWK


def plot_simulation(records: Sequence[Any], out: Path, *, title: str) -> None:
    """Three panels: mean balance by group, justified/finalized epoch against the epoch, validator statuses."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [r.epoch for r in records]
    fig, (ax1, ax2, ax3) = plt.subplots(3, 1, figsize=(9, 10), sharex=True)
    for attr, label, color in (
        ("mean_balance_online", "online validators", "tab:green"),
        ("mean_balance_offline", "offline validators", "tab:orange"),
        ("mean_balance_slashed", "slashed validators", "tab:red"),
    ):
        ax1.plot(epochs, [getattr(r, attr) / GWEI_PER_SWK for r in records], label=label, color=color)
    ax1.set_ylabel("mean balance (SWK)")
    ax1.legend(loc="lower left")
    ax1.grid(alpha=0.3)
    ax2.plot(epochs, epochs, ":", color="grey", label="current epoch")
    ax2.plot(epochs, [r.justified_epoch for r in records], label="justified", color="tab:blue")
    ax2.plot(epochs, [r.finalized_epoch for r in records], label="finalized", color="tab:purple")
    ax2b = ax2.twinx()
    ax2b.fill_between(epochs, [100 * r.target_participation for r in records], alpha=0.15, color="tab:green")
    ax2b.axhline(200 / 3, color="tab:green", lw=0.8, ls="--")
    ax2b.set_ylabel("target participation % (shaded; 2/3 dashed)")
    ax2b.set_ylim(0, 105)
    ax2.set_ylabel("checkpoint epoch")
    ax2.legend(loc="upper left")
    ax2.grid(alpha=0.3)
    for attr, label in (
        ("active", "active"),
        ("pending", "pending"),
        ("exiting", "exiting"),
        ("exited", "exited"),
        ("slashed", "slashed"),
    ):
        ax3.plot(epochs, [getattr(r, attr) for r in records], label=label)
    ax3.set_ylabel("validators")
    ax3.set_xlabel("epoch")
    ax3.set_yscale("symlog")
    ax3.legend(loc="center left")
    ax3.grid(alpha=0.3)
    fig.suptitle(f"stakework simulate — {title}")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
