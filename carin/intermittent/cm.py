"""Checkpointing mechanisms (CMs) and how a per-layer CM plan compiles to atomic work.

A CM plan is a string with one code per layer:

======  =====================  =====================================================
code    mechanism              cost model
======  =====================  =====================================================
``R``   restart                no checkpoint; the output stays in SRAM (or is spilled
                               to FRAM when larger than ``sram_fmap_bytes``) and a
                               failure loses everything since the last commit
``L``   layer checkpoint       the output feature map (plus a commit marker) is
                               written to FRAM at the end of the layer
``T``   loop/tile continuation the layer runs in tiles of about ``tile_j`` joules;
                               each tile writes its outputs and a progress counter to
                               FRAM, so a failure loses at most one tile; a volatile
                               input is first persisted
``J``   just-in-time           the layer runs with a low-voltage interrupt armed: a
                               reserve of energy is kept in the capacitor to write the
                               volatile state (input, output, registers) to FRAM when
                               the voltage falls, and it is read back after reboot; the
                               output is written at the end like ``L``. Applicable only
                               where the checkpoint's energy is below the capacitor's
                               cycle energy (a checkpoint voltage between ``v_off`` and
                               ``v_on`` must exist)
``D``   depth-first slice      a run of consecutive ``D`` layers is one slice executed
                               tile by tile (below): inner feature maps never reach
                               FRAM, inner layers pay ``df_recompute`` extra compute
                               (halo), the slice's last output is written and
                               committed at its end; a failure loses the slice in
                               progress
======  =====================  =====================================================

A plan compiles to a sequence of **atoms** (:class:`Atoms`): pieces of work with their
energy, time and FRAM bytes written, a flag saying whether the atom ends with a commit
(a consistent state in FRAM to resume from), and for ``J`` atoms the checkpoint and
restore costs. The simulator executes atoms; the analytical model and the CM search cost
the same atoms, so all three agree on what a plan does.

Every atom also carries the size of its **volatile state** (``state_bytes``): what a
just-in-time save in the middle of it must write to FRAM so that the work can continue
after the SRAM is lost or reused. It follows the ``J`` checkpoint's model, per atom: the
layer's input when it is in SRAM (not when it was read from FRAM), the output being
built in SRAM, and the registers and bookkeeping (``jit_state_extra_bytes``):

* ``R``: input (if volatile) + output; an output spilled to FRAM is not volatile;
* ``L``, ``J``: input (if volatile) + output (written at the layer's end); for ``J`` it
  is exactly the JIT checkpoint's state;
* ``T``: the persisting atom holds the input; a tile holds its own share of the output
  (its input is re-read from FRAM);
* ``D``: the slice's tile buffers, see below.

**Depth-first slices.** A slice runs in ``tiles`` tiles, counted as for ``T``
(:func:`tile_count`): about ``tile_j`` joules each, here of the whole slice's energy
(its atoms': the inner layers' recompute, the read of a slice input in FRAM and the
write of its output), at least one and at most one per element of the slice's output.
Each tile computes every layer of the slice on its share of that layer's output: a
tile buffer of ``out / tiles`` elements, times ``1 + df_recompute`` for the inner layers
(their halo), at most the whole map. A tile's outputs of the last layer go to FRAM as
it finishes (the energy model counts that write as one DMA at the slice's end), so no
inner map exists whole and the last map is never all in SRAM. Those written tiles are
not committed progress: no progress counter is written, and a power failure loses the
slice in progress (the simulator resumes the job at its last commit, before the
slice). A save for a yield records the tile counter with the registers, so the written
tiles and the saved buffers together are a state to continue from. The state of the atom of the slice's
layer ``j`` is then: the registers, the buffer of layer ``j`` (its output tile) and of
layer ``j - 1`` (its input tile; the layers before are done with this tile), and the
slice's input if it is in SRAM -- for every layer when there is more than one tile
(the tiles to come read it), only for the first layer otherwise (one tile runs the
slice layer by layer). A slice input in FRAM is re-read per tile and is not state.
With one tile this is the per-layer formula of ``R``/``L`` (input + output); with more,
and the slice's input in FRAM, it is never above it. With a slice input in SRAM and
several tiles it can be above it (that input must outlive the slice's first layer). The
feature maps of every atom of a slice count its output's FRAM area.

Saving costs a DMA write of that state and restoring a DMA read, like ``J``. The
multi-task simulator uses it to let a paused job yield the device between its commits
(:mod:`~carin.intermittent.multitask`).

A layer whose input is in FRAM (the model input, a committed or spilled output) reads it
by DMA; an input still in SRAM is free. The model's input sample is in FRAM.

**FRAM footprint** (:func:`fram_footprint`). The same compilation records, per atom, the
feature-map bytes that must coexist in FRAM while it runs (``Atoms.map_bytes``): the map
a power failure resumes from (the last commit's output, or a ``T`` layer's persisted
input; before the first commit the model input, counted on its own), the layer's input
when it is another map in FRAM (an output spilled by ``R``; for a ``D`` slice, its input
until the slice's last layer, which reads it tile by tile), and the output the atom
writes (``L``, ``J``, a slice's last layer and ``T`` with a one-element commit marker or
progress counter, a spilled ``R`` output without). An output in SRAM takes no FRAM. A
plan needs in FRAM the model's weights, its input sample, the peak of these maps over
its atoms (the least any placement needs; a buffer filled from both ends, ping-pong,
reaches it when at most two maps coexist), the JIT checkpoint buffer if it has ``J``
layers (the largest ``ckpt_bytes``) and, for a task under a policy that yields, a yield
buffer (the largest ``state_bytes`` whose save fits a capacitor at ``v_max``, as the
multi-task simulator requires). Code, the runtime's own data and the FRAM a real
compiler would add for alignment are not modelled.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from carin.errors import CarinError
from carin.intermittent.device import Device
from carin.intermittent.layers import LayerCosts

__all__ = [
    "CMError",
    "CODES",
    "CM_NAMES",
    "Atoms",
    "compile_plan",
    "compile_layers",
    "validate_plan",
    "uniform_plan",
    "tile_count",
    "FramFootprint",
    "fram_footprint",
]

CODES = "RLTJD"
CM_NAMES = {"R": "restart", "L": "layer", "T": "tile", "J": "jit", "D": "depth-first"}


class CMError(CarinError):
    """A CM plan string is malformed or a CM does not fit a layer on the device."""


@dataclass(frozen=True, kw_only=True)
class Atoms:
    """A compiled plan: arrays indexed by atom.

    Attributes:
        energy_j: Energy of each atom.
        time_s: Time of each atom.
        nvm_bytes: FRAM bytes each atom writes.
        commit: True when the atom ends with a commit.
        jit: True for atoms of ``J`` layers (a failure keeps progress).
        ckpt_j, ckpt_s: JIT checkpoint energy and time at a failure (0 elsewhere).
        ckpt_bytes: FRAM bytes a JIT checkpoint writes.
        restore_j, restore_s: Restore cost after a reboot that follows a JIT failure.
        layer: Layer index of each atom.
        state_bytes: Volatile state (bytes) a save in the middle of each atom writes
            (module docstring); ``None``: unknown, such atoms are never saved.
        map_bytes: FRAM bytes of the feature maps that must coexist in FRAM while each
            atom runs (module docstring, "FRAM footprint"), not counting the compiled
            range's own input; ``None``: unknown.
    """

    energy_j: np.ndarray
    time_s: np.ndarray
    nvm_bytes: np.ndarray
    commit: np.ndarray
    jit: np.ndarray
    ckpt_j: np.ndarray
    ckpt_s: np.ndarray
    ckpt_bytes: np.ndarray
    restore_j: np.ndarray
    restore_s: np.ndarray
    layer: np.ndarray
    state_bytes: np.ndarray | None = None
    map_bytes: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.energy_j.size)

    @property
    def total_energy_j(self) -> float:
        """Energy of one failure-free run."""
        return float(self.energy_j.sum())

    @property
    def total_time_s(self) -> float:
        """Time of one failure-free run."""
        return float(self.time_s.sum())

    @property
    def total_nvm_bytes(self) -> float:
        """FRAM bytes written by one failure-free run."""
        return float(self.nvm_bytes.sum())


def validate_plan(plan: str, n_layers: int) -> str:
    """Check a plan string: ``n_layers`` codes from ``RLTJD`` (a single code means uniform).

    Raises:
        CMError: Wrong length or unknown code.
    """
    p = plan.strip().upper()
    if len(p) == 1 and p in CODES:
        p = p * n_layers
    if not re.fullmatch(f"[{CODES}]+", p or "-"):
        raise CMError(
            f"CM plan {plan!r}: codes must be from {CODES} "
            "(R restart, L layer, T tile, J jit, D depth-first)"
        )
    if len(p) != n_layers:
        raise CMError(f"CM plan {plan!r} has {len(p)} codes; the model has {n_layers} layers")
    return p


def uniform_plan(code: str, n_layers: int) -> str:
    """The plan that uses one CM for every layer."""
    return validate_plan(code, n_layers)


class _Builder:
    def __init__(self) -> None:
        self.rows: list[tuple[float, ...]] = []

    def add(
        self,
        layer: int,
        e: float,
        d: float,
        nvm: float = 0.0,
        commit: bool = False,
        jit: tuple[float, float, float, float, float] | None = None,
        state: float = 0.0,
        maps: float = 0.0,
    ) -> None:
        ck = jit or (0.0, 0.0, 0.0, 0.0, 0.0)
        row = (e, d, nvm, float(commit), float(jit is not None), *ck, layer, state, maps)
        self.rows.append(row)

    def build(self) -> Atoms:
        a = np.array(self.rows, dtype=float).reshape(-1, 13)
        return Atoms(
            energy_j=a[:, 0],
            time_s=a[:, 1],
            nvm_bytes=a[:, 2],
            commit=a[:, 3].astype(bool),
            jit=a[:, 4].astype(bool),
            ckpt_j=a[:, 5],
            ckpt_s=a[:, 6],
            ckpt_bytes=a[:, 7],
            restore_j=a[:, 8],
            restore_s=a[:, 9],
            layer=a[:, 10].astype(int),
            state_bytes=a[:, 11],
            map_bytes=a[:, 12],
        )


def _write_output(
    b: _Builder,
    device: Device,
    i: int,
    e: float,
    d: float,
    n_out: float,
    live: float,
    held: float,
) -> None:
    """An atom computing layer ``i`` (``e``, ``d``) that writes its output and a commit
    marker to FRAM at its end (``live``: the rest of its volatile state, in elements;
    ``held``: bytes of the feature maps already held in FRAM meanwhile)."""
    we, wd = device.dma_write(n_out + 1, 2)
    eb = device.element_bytes
    nvm = (n_out + 1) * eb
    b.add(i, e + we, d + wd, nvm=nvm, commit=True, state=(live + n_out) * eb, maps=held + nvm)


def tile_count(energy_j: float, out_elems: float, device: Device) -> int:
    """Tiles of a ``T`` layer or a ``D`` slice: about ``tile_j`` joules each (``energy_j``:
    the whole layer's or slice's energy), at least one, at most one per element of its
    output (``out_elems``: the layer's, or the slice's last layer's)."""
    return int(min(max(1, math.ceil(energy_j / device.tile_j)), max(1, out_elems)))


def _tile_slice(
    b: _Builder, row0: int, costs: LayerCosts, device: Device, *, vol_in: float, ends: bool
) -> None:
    """Set the volatile state and the FRAM maps of the ``D`` slice whose atoms are
    ``b.rows[row0:]`` (one per layer) to its tile-by-tile execution (module docstring:
    "Depth-first slices"). ``vol_in``: the slice's input in SRAM, in elements; ``ends``:
    the slice's last layer is in the rows (else a range's end cut it: every layer
    counts as an inner one)."""
    rows = b.rows[row0:]
    eb = float(device.element_bytes)
    regs = device.jit_state_extra_bytes / eb
    outs = [float(costs.out_elems[int(r[10])]) for r in rows]
    tiles = tile_count(sum(r[0] for r in rows), outs[-1], device)
    # one tile's buffer per layer: its share of the output, inner layers with their halo
    halo = [1.0 + device.df_recompute] * len(rows)
    if ends:
        halo[-1] = 1.0
    buf = [min(o, o * h / tiles) for o, h in zip(outs, halo, strict=True)]
    for j, r in enumerate(rows):
        # the tile's input buffer (the previous layer's) and output buffer; the slice's
        # input stays in SRAM for the tiles to come (after its first layer only if one
        # tile: then the slice runs layer by layer)
        keep = vol_in if j == 0 or tiles > 1 else 0.0
        state = regs + keep + buf[j] + (buf[j - 1] if j else 0.0)
        maps = rows[-1][12] if ends else r[12]  # the output is written tile by tile
        b.rows[row0 + j] = (*r[:11], state * eb, maps)


def compile_layers(
    plan: str,
    costs: LayerCosts,
    device: Device,
    *,
    start: int = 0,
    input_in_fram: bool = True,
    is_model_end: bool = True,
) -> Atoms:
    """Compile the layers ``start .. start+len(plan)-1`` under ``plan`` to atoms.

    Args:
        plan: One code per layer of the range.
        costs: The model's per-layer computation costs.
        device: The device (DMA costs, SRAM size, tile size).
        start: Index of the first layer of the range.
        input_in_fram: Whether the range's input is in FRAM (true after a commit).
        is_model_end: Whether a ``D`` run reaching the end of the range ends its slice.
    """
    b = _Builder()
    eb = float(device.element_bytes)
    in_fram = input_in_fram
    n = len(plan)
    regs = device.jit_state_extra_bytes / eb  # registers and bookkeeping, in elements
    # feature maps in FRAM (bytes; the range's own input counts 0, module docstring):
    # ``resume`` is the map a power failure resumes from (the last commit), ``inp`` the
    # layer's input when it is in FRAM and another map (a spilled output), ``held`` the
    # input a depth-first slice reads tile by tile until its last layer
    resume = inp = held = 0.0
    for k, code in enumerate(plan):
        i = start + k
        e, d = float(costs.energy_j[i]), float(costs.time_s[i])
        n_in, n_out = float(costs.in_elems[i]), float(costs.out_elems[i])
        read_e, read_d = device.dma_read(n_in) if in_fram else (0.0, 0.0)
        # volatile state of a save in the middle of the layer (module docstring)
        live = (0.0 if in_fram else n_in) + regs
        if code == "R":
            if n_out * eb <= device.sram_fmap_bytes:
                b.add(i, e + read_e, d + read_d, state=(live + n_out) * eb, maps=resume + inp)
                in_fram, inp = False, 0.0
            else:
                we, wd = device.dma_write(n_out)
                b.add(
                    i,
                    e + read_e + we,
                    d + read_d + wd,
                    nvm=n_out * eb,
                    state=live * eb,
                    maps=resume + inp + n_out * eb,
                )
                in_fram, inp = True, n_out * eb
        elif code == "L":
            _write_output(b, device, i, e + read_e, d + read_d, n_out, live, resume + inp)
            in_fram, resume, inp = True, (n_out + 1) * eb, 0.0
        elif code == "T":
            if not in_fram:
                we, wd = device.dma_write(n_in)
                b.add(
                    i,
                    we,
                    wd,
                    nvm=n_in * eb,
                    commit=True,
                    state=live * eb,
                    maps=resume + n_in * eb,
                )
                resume, inp = n_in * eb, 0.0
            r_e, r_d = device.dma_read(n_in)
            w_e, w_d = device.dma_write(n_out)
            tiles = tile_count(e + r_e + w_e, n_out, device)
            te = (
                e / tiles
                + device.dma_read(n_in / tiles)[0]
                + device.dma_write(n_out / tiles + 1, 2)[0]
            )
            td = (
                d / tiles
                + device.dma_read(n_in / tiles)[1]
                + device.dma_write(n_out / tiles + 1, 2)[1]
            )
            for _ in range(tiles):
                b.add(
                    i,
                    te,
                    td,
                    nvm=(n_out / tiles + 1) * eb,
                    commit=True,
                    state=(n_out / tiles + regs) * eb,
                    maps=resume + inp + (n_out + 1) * eb,
                )
            in_fram, resume, inp = True, (n_out + 1) * eb, 0.0
        elif code == "J":
            state = live + n_out
            ck_e, ck_d = device.dma_write(state)
            rs_e, rs_d = device.dma_read(state)
            if ck_e >= device.cycle_energy_j:
                raise CMError(
                    f"CM J does not fit layer {i}: its checkpoint ({ck_e * 1e6:.1f} uJ for "
                    f"{state * eb:.0f} B of volatile state) needs more than the capacitor "
                    f"stores between v_on and v_off ({device.cycle_energy_j * 1e6:.1f} uJ), "
                    "so no checkpoint voltage exists; use R, L, T or D there"
                )
            we, wd = device.dma_write(n_out + 1, 2)
            b.add(
                i,
                e + read_e + we,
                d + read_d + wd,
                nvm=(n_out + 1) * eb,
                commit=True,
                jit=(ck_e, ck_d, state * eb, rs_e, rs_d),
                state=state * eb,
                maps=resume + inp + (n_out + 1) * eb,
            )
            in_fram, resume, inp = True, (n_out + 1) * eb, 0.0
        elif code == "D":
            first = k == 0 or plan[k - 1] != "D"
            last = (k + 1 < n and plan[k + 1] != "D") or (k + 1 == n and is_model_end)
            if first:
                held = inp  # the slice's input, read tile by tile until its last layer
                vol_in = live - regs  # the slice's input if it is in SRAM, in elements
                row0 = len(b.rows)
            else:
                read_e, read_d = 0.0, 0.0
            if last:
                _write_output(b, device, i, e + read_e, d + read_d, n_out, live, resume + held)
                in_fram, resume, inp = True, (n_out + 1) * eb, 0.0
            else:
                f = 1.0 + device.df_recompute
                b.add(
                    i,
                    e * f + read_e,
                    d * f + read_d,
                    state=(live + n_out) * eb,
                    maps=resume + held,
                )
                in_fram, inp = False, 0.0
            if last or k + 1 == n:
                _tile_slice(b, row0, costs, device, vol_in=vol_in, ends=last)
        else:  # pragma: no cover - validated before
            raise CMError(f"unknown CM code {code!r}")
    return b.build()


def compile_plan(plan: str, costs: LayerCosts, device: Device) -> Atoms:
    """Compile a whole-model plan (one code per layer) to atoms.

    Raises:
        CMError: The plan does not match the model.
    """
    plan = validate_plan(plan, costs.energy_j.size)
    return compile_layers(plan, costs, device)


@dataclass(frozen=True, kw_only=True)
class FramFootprint:
    """FRAM one compiled plan needs, in bytes, by term (module docstring).

    Attributes:
        weights: All layers' weights (``weight_bytes``).
        inputs: The model's input sample.
        maps: The peak of the feature maps that coexist in FRAM (``Atoms.map_bytes``).
        jit: The JIT checkpoint buffer: the largest ``ckpt_bytes`` (0 without ``J``).
        yield_buffer: The yield buffer: the largest ``state_bytes`` a save can write
            (0 unless the task runs under a policy that yields).
    """

    weights: float
    inputs: float
    maps: float
    jit: float = 0.0
    yield_buffer: float = 0.0

    @property
    def total(self) -> float:
        """All the terms, in bytes."""
        return self.weights + self.inputs + self.maps + self.jit + self.yield_buffer

    def terms(self) -> str:
        """The terms as text, e.g. ``weights 123,412 B + input 2,048 B + ...``."""
        parts = [("weights", self.weights), ("input", self.inputs), ("maps", self.maps)]
        parts += [("JIT buffer", self.jit), ("yield buffer", self.yield_buffer)]
        return " + ".join(f"{name} {v:,.0f} B" for name, v in parts if v or name == "maps")


def fram_footprint(
    atoms: Atoms, costs: LayerCosts, device: Device, *, yields: bool = False, pending: int = 1
) -> FramFootprint:
    """The FRAM a whole-model plan compiled by :func:`compile_plan` needs, by term.

    Args:
        atoms: The compiled plan.
        costs: The model's layer costs on ``device`` (weights and input sizes).
        device: The device (capacitor size for the yield buffer).
        yields: Whether the task runs under a policy that yields (adds a yield buffer).
        pending: Jobs whose input samples can wait in FRAM at once (each is sampled at
            its release): ``ceil(deadline / period)`` for periodic jobs.

    Raises:
        ValueError: The atoms carry no ``map_bytes`` (not made by :func:`compile_plan`),
            or ``pending`` is below 1.
    """
    if pending < 1:
        raise ValueError(f"fram_footprint: pending must be >= 1, got {pending}")
    if atoms.map_bytes is None:
        raise ValueError("fram_footprint: the atoms carry no map_bytes; compile the plan")
    maps = float(atoms.map_bytes.max()) if len(atoms) else 0.0
    jit = float(atoms.ckpt_bytes[atoms.jit].max()) if atoms.jit.any() else 0.0
    buf = 0.0
    if yields and atoms.state_bytes is not None and len(atoms):
        # the multi-task simulator saves only a state whose DMA write fits a capacitor
        # at v_max (MultiSimulator: save_j < e_max (1 - 1e-6))
        eb = float(device.element_bytes)
        sb = np.asarray(atoms.state_bytes, dtype=float)
        save_j = device.dma_write_j * sb / eb + device.dma_write_fixed_j
        ok = np.isfinite(sb) & (save_j < device.max_energy_j * (1.0 - 1e-6))
        buf = float(math.ceil(sb[ok].max())) if ok.any() else 0.0  # a tile's share: whole B
    return FramFootprint(
        weights=float(costs.weight_bytes.sum()),
        inputs=float(costs.in_bytes[0]) * pending if costs.in_bytes.size else 0.0,
        maps=maps,
        jit=jit,
        yield_buffer=buf,
    )
