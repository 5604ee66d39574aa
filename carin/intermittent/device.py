"""Device model of an intermittently powered microcontroller with FRAM.

Energy is in joules, time in seconds, power in watts. The default profile,
:meth:`Device.msp430fr5994`, uses the published MSP430FR5994 cost figures listed in
``../shared/datasets/README.md`` (DMA per element, LEA vector MAC, CPU ops, reboot,
capacitor). Every field can be overridden from YAML with :meth:`Device.from_yaml`.

Capacitor: the device turns on when the capacitor reaches ``v_on`` and browns out at
``v_off``; one power cycle therefore holds ``C (v_on^2 - v_off^2) / 2`` joules above the
brown-out level. While on, harvest beyond the device's draw charges the capacitor up to
``v_max`` (harvest beyond that is lost). ``leakage_w`` is a constant drain
subtracted from harvested power (never below zero).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from carin.errors import CarinError, SpecError
from carin.spec._yaml import load_yaml

__all__ = ["DeviceError", "Device"]


class DeviceError(CarinError):
    """A device profile is malformed; the message names the file and field."""


@dataclass(frozen=True, kw_only=True)
class Device:
    """Physical and cost parameters of an intermittent device.

    Attributes:
        name: Device name used in profile rows.
        clock_hz: CPU clock; cycle counts below are converted with it.
        capacitance_f: Storage capacitor.
        v_on: Turn-on voltage.
        v_off: Brown-out voltage.
        v_max: Highest capacitor voltage: while on, harvest above the device's draw keeps
            charging the capacitor up to ``v_max`` (set it to ``v_on`` for no headroom).
        leakage_w: Constant capacitor/harvester leakage subtracted from harvest.
        harvester_efficiency: Fraction of trace power that reaches the capacitor.
        sleep_w: Power drawn while on and idle (waiting for a job).
        dma_write_j, dma_write_fixed_j, dma_write_cycles, dma_write_fixed_cycles:
            SRAM -> FRAM DMA: per element and per transfer.
        dma_read_j, dma_read_fixed_j, dma_read_cycles, dma_read_fixed_cycles:
            FRAM -> SRAM DMA: per element and per transfer.
        mac_j, mac_fixed_j, mac_cycles, mac_fixed_cycles: LEA vector MAC, per element
            and per call.
        add_j, add_cycles: One CPU add/compare (pooling, activation).
        reboot_j, reboot_s: Energy and time of one boot after a power failure.
        element_bytes: Bytes per tensor element on the device (Q15 fixed point: 2).
        sram_fmap_bytes: SRAM available to keep a feature map between layers; a larger
            output must be spilled to FRAM.
        fram_bytes: FRAM size: everything a plan keeps in non-volatile memory (weights,
            input, feature maps, checkpoint and yield buffers) must fit in it (see
            :func:`carin.intermittent.cm.fram_footprint`). Default 262,144 B: the
            MSP430FR5994 datasheet (TI SLASE54) lists 256 KB of FRAM.
        tile_j: Target energy of one tile for loop/tile continuation.
        jit_state_extra_bytes: Register file and bookkeeping saved by a JIT checkpoint.
        df_recompute: Extra compute fraction of non-final layers in a depth-first slice
            (halo recomputation between tiles).
    """

    name: str = "msp430fr5994"
    clock_hz: float = 16e6
    capacitance_f: float = 100e-6
    v_on: float = 2.8
    v_off: float = 2.4
    v_max: float = 3.3
    leakage_w: float = 0.0
    harvester_efficiency: float = 1.0
    sleep_w: float = 5e-6
    dma_write_j: float = 2.6815e-8
    dma_write_fixed_j: float = 1.9336e-7
    dma_write_cycles: float = 64.0
    dma_write_fixed_cycles: float = 422.0
    dma_read_j: float = 2.7e-8
    dma_read_fixed_j: float = 2.0e-7
    dma_read_cycles: float = 64.0
    dma_read_fixed_cycles: float = 424.0
    mac_j: float = 5.27e-10
    mac_fixed_j: float = 2.04e-7
    mac_cycles: float = 1.5
    mac_fixed_cycles: float = 616.0
    add_j: float = 3.94e-9
    add_cycles: float = 12.0
    reboot_j: float = 77.9e-6
    reboot_s: float = 0.070
    element_bytes: int = 2
    sram_fmap_bytes: int = 4096
    fram_bytes: int = 262_144
    tile_j: float = 4e-6
    jit_state_extra_bytes: int = 64
    df_recompute: float = 0.15

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name == "name":
                continue
            if not isinstance(v, int | float) or v != v or v < 0:
                raise DeviceError(f"device field {f.name!r} must be a number >= 0, got {v!r}")
        if not self.v_max >= self.v_on > self.v_off > 0:
            raise DeviceError(
                f"device: need v_max >= v_on > v_off > 0, got {self.v_max}, "
                f"{self.v_on}, {self.v_off}"
            )
        if not 0 < self.harvester_efficiency <= 1:
            raise DeviceError("device field 'harvester_efficiency' must be in (0, 1]")
        if self.capacitance_f <= 0 or self.clock_hz <= 0 or self.element_bytes < 1:
            raise DeviceError("device: capacitance_f, clock_hz and element_bytes must be > 0")
        if self.fram_bytes < 1:
            raise DeviceError(f"device field 'fram_bytes' must be >= 1 B, got {self.fram_bytes!r}")
        if self.reboot_j >= self.cycle_energy_j:
            raise DeviceError(
                f"device: reboot_j ({self.reboot_j:g} J) must be below the "
                f"energy of one power cycle ({self.cycle_energy_j:g} J)"
            )

    @classmethod
    def msp430fr5994(cls) -> Device:
        """The default MSP430FR5994 profile (published constants, 16 MHz, 100 uF)."""
        return cls()

    @classmethod
    def from_yaml(cls, path: str | Path) -> Device:
        """Load a device from YAML: a mapping of field overrides on the default profile.

        Raises:
            DeviceError: Unknown field or bad value (names the file and line).
        """
        path = Path(path)
        try:
            data = load_yaml(path)
        except SpecError as exc:
            raise DeviceError(str(exc)) from None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise DeviceError(f"{path}:1: a device file is a mapping of field: value")
        lines = dict(getattr(data, "key_lines", {}))
        return cls.from_dict(data, source=str(path), lines=lines)

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], *, source: str = "<dict>", lines: dict[str, int] | None = None
    ) -> Device:
        """Build a device from field overrides on the default profile."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        lines = lines or {}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            where = f"{source}:{lines[key]}" if key in lines else source
            if key not in known:
                raise DeviceError(
                    f"{where}: unknown device field {key!r}; allowed: " + ", ".join(sorted(known))
                )
            if key == "name":
                kwargs[key] = str(value)
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise DeviceError(f"{where}: field {key!r} must be a number, got {value!r}")
            try:
                finite = math.isfinite(float(value))
            except OverflowError:  # an integer with hundreds of digits
                finite = False
            if not finite:
                shown = value if isinstance(value, float) else f"{len(str(abs(value)))} digits"
                raise DeviceError(f"{where}: field {key!r} must be a finite number, got {shown}")
            kwargs[key] = int(value) if known[key].type in ("int", int) else float(value)
        try:
            return cls(**kwargs)
        except DeviceError as exc:
            raise DeviceError(f"{source}: {exc}") from exc

    def cycles_to_s(self, cycles: float) -> float:
        """Convert CPU cycles to seconds."""
        return cycles / self.clock_hz

    @cached_property  # a pure function of frozen fields; read per decision
    def cycle_energy_j(self) -> float:
        """Energy stored between ``v_off`` and ``v_on``: ``C (v_on^2 - v_off^2) / 2``."""
        return 0.5 * self.capacitance_f * (self.v_on**2 - self.v_off**2)

    @cached_property  # a pure function of frozen fields; read per decision
    def max_energy_j(self) -> float:
        """Energy stored between ``v_off`` and ``v_max``."""
        return 0.5 * self.capacitance_f * (self.v_max**2 - self.v_off**2)

    @cached_property  # a pure function of frozen fields; read per decision
    def active_w(self) -> float:
        """Typical active power (LEA MAC streaming), used by closed-form live-time estimates."""
        return self.mac_fixed_j / self.cycles_to_s(self.mac_fixed_cycles)

    def dma_write(self, elements: float, transfers: float = 1.0) -> tuple[float, float]:
        """Energy (J) and time (s) of writing ``elements`` to FRAM in ``transfers`` DMAs."""
        if elements <= 0:
            return 0.0, 0.0
        e = self.dma_write_j * elements + self.dma_write_fixed_j * transfers
        c = self.dma_write_cycles * elements + self.dma_write_fixed_cycles * transfers
        return e, self.cycles_to_s(c)

    def dma_read(self, elements: float, transfers: float = 1.0) -> tuple[float, float]:
        """Energy (J) and time (s) of reading ``elements`` from FRAM in ``transfers`` DMAs."""
        if elements <= 0:
            return 0.0, 0.0
        e = self.dma_read_j * elements + self.dma_read_fixed_j * transfers
        c = self.dma_read_cycles * elements + self.dma_read_fixed_cycles * transfers
        return e, self.cycles_to_s(c)

    def mac(self, macs: float, calls: float) -> tuple[float, float]:
        """Energy (J) and time (s) of ``macs`` multiply-accumulates in ``calls`` LEA calls."""
        if macs <= 0:
            return 0.0, 0.0
        e = self.mac_j * macs + self.mac_fixed_j * calls
        c = self.mac_cycles * macs + self.mac_fixed_cycles * calls
        return e, self.cycles_to_s(c)

    def cpu_ops(self, ops: float) -> tuple[float, float]:
        """Energy (J) and time (s) of ``ops`` simple CPU operations (add/compare)."""
        return self.add_j * ops, self.cycles_to_s(self.add_cycles * ops)
