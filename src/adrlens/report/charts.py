"""Inline SVG charts for the answer article: a forest plot of the measures and a trend by quarter.

Pure Python, no plotting library and no scripts: each function returns one ``<svg>`` element that works
inside a self-contained HTML file. All text is escaped. Missing values (None, NaN, infinities, or ratios
that are not positive on a log scale) are skipped, never drawn as 0, and a chart with nothing to show says
so in words instead of drawing empty axes.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

from adrlens.jsonsafe import finite

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
COLOURS = {"ror": "#1f4e99", "ebgm": "#c25400", "ic": "#2b7a3d", "grid": "#d9dde3", "ref": "#555", "text": "#222"}
# Ticks for log-scale ratio axes; the ones inside the drawn range are used.
LOG_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
# Intervals beyond these are clipped (drawn with an arrow) so one wild CI cannot flatten the rest.
# 0.1-100 on the log axis: one report with an expected count near 0 (ROR in the thousands) gets an arrow.
RATIO_LIMITS = (0.1, 100.0)
IC_LIMITS = (-4.0, 8.0)  # the same for IC: a = 0 gives IC025 near -11, which would squash every other row


num = finite  # a finite float, or None for missing, NaN, infinite or non-numeric values


def _pos(x: Any) -> float | None:
    """A finite positive float (plottable on a log axis), else None."""
    f = num(x)
    return f if f is not None and f > 0 else None


def _fmt_tick(v: float) -> str:
    return f"{v:g}"


def _fmt(v: float | None, digits: int = 2) -> str:
    return "not available" if v is None else f"{v:.{digits}f}"


def _svg_open(width: int, height: int, title: str, desc: str) -> list[str]:
    t = escape(title)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{t}" font-family="{escape(FONT)}" font-size="12" class="adr-chart">',
        f"<title>{t}</title>",
        f"<desc>{escape(desc)}</desc>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
        f'<text x="8" y="18" font-size="14" font-weight="600" fill="{COLOURS["text"]}">{t}</text>',
    ]


svg_open = _svg_open  # the opening every figure shares (role, aria-label, <title>, <desc>), for plain_figure


def _empty(title: str, message: str, width: int = 640) -> str:
    parts = _svg_open(width, 60, title, message)
    parts.append(f'<text x="8" y="44" fill="{COLOURS["ref"]}">{escape(message)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


class _LogAxis:
    """Maps positive values to x pixels on a log scale between lo and hi."""

    def __init__(self, values: list[float], x0: float, x1: float) -> None:
        vals = [v for v in values if v > 0] + [1.0]  # the null line at 1 is always shown
        lo = max(min(vals), RATIO_LIMITS[0])
        hi = min(max(vals), RATIO_LIMITS[1])
        # Pad by a bit in log space, never beyond the limits; widen a degenerate range so one value has an axis.
        lo, hi = max(lo / 1.5, RATIO_LIMITS[0]), min(hi * 1.25, RATIO_LIMITS[1])
        if hi / lo < 4:
            mid = math.sqrt(lo * hi)
            lo, hi = max(mid / 2, RATIO_LIMITS[0]), min(mid * 2, RATIO_LIMITS[1])
        self.lo, self.hi, self.x0, self.x1 = lo, hi, x0, x1

    def x(self, v: float) -> float:
        v = min(max(v, self.lo), self.hi)
        return self.x0 + (math.log(v) - math.log(self.lo)) / (math.log(self.hi) - math.log(self.lo)) * (
            self.x1 - self.x0
        )

    def clipped(self, v: float) -> bool:
        return v < self.lo or v > self.hi

    def ticks(self) -> list[float]:
        ts = [t for t in LOG_TICKS if self.lo <= t <= self.hi]
        if len(ts) > 7:  # keep 1-2-5 decades readable: drop the 2s, then the 5s
            ts = [t for t in ts if not _fmt_tick(t).lstrip("0.").startswith("2")] or ts
        if len(ts) > 7:
            ts = [t for t in ts if _fmt_tick(t).lstrip("0.").startswith("1")] or ts
        return ts


class _LinAxis:
    """Maps values to pixels on a linear scale, always including `ref` (0 for IC)."""

    def __init__(
        self, values: list[float], p0: float, p1: float, ref: float = 0.0, limits: tuple[float, float] | None = None
    ) -> None:
        vals = [*values, ref]
        if limits:
            vals = [min(max(v, limits[0]), limits[1]) for v in vals]
        lo, hi = min(vals), max(vals)
        span = hi - lo or 1.0
        self.lo, self.hi = lo - 0.08 * span, hi + 0.08 * span
        if self.hi - self.lo < 1.0:
            mid = (self.hi + self.lo) / 2
            self.lo, self.hi = mid - 0.5, mid + 0.5
        self.p0, self.p1 = p0, p1

    def clipped(self, v: float) -> bool:
        return v < self.lo or v > self.hi

    def p(self, v: float) -> float:
        v = min(max(v, self.lo), self.hi)
        return self.p0 + (v - self.lo) / (self.hi - self.lo) * (self.p1 - self.p0)

    def ticks(self) -> list[float]:
        span = self.hi - self.lo
        step = next(s for s in (0.25, 0.5, 1, 2, 5, 10, 20, 50) if span / s <= 6)
        first = math.ceil(self.lo / step) * step
        out, t = [], first
        while t <= self.hi + 1e-9:
            out.append(round(t, 6))
            t += step
        return out


def _interval_line(x_lo: float, x_hi: float, y: float, colour: str, clip_lo: bool, clip_hi: bool) -> list[str]:
    out = [f'<line x1="{x_lo:.1f}" y1="{y:.1f}" x2="{x_hi:.1f}" y2="{y:.1f}" stroke="{colour}" stroke-width="2"/>']
    for x, clipped, d in ((x_lo, clip_lo, -1), (x_hi, clip_hi, 1)):
        if clipped:  # an arrow head says "goes on beyond the axis"
            out.append(f'<path class="clipped" d="M{x:.1f},{y:.1f} l{-6 * d},-4 l0,8 z" fill="{colour}"/>')
        else:
            out.append(f'<line x1="{x:.1f}" y1="{y - 4:.1f}" x2="{x:.1f}" y2="{y + 4:.1f}" stroke="{colour}"/>')
    return out


def _row_label(r: dict[str, Any]) -> tuple[str, str]:
    label = str(r.get("label") or "not named")
    src = str(r.get("source") or "")
    a = num(r.get("a"))
    e = num(r.get("e"))
    bits = [src] if src else []
    if a is not None:
        bits.append(f"a={a:g}" + (f", E={e:.1f}" if e is not None else ""))
    return label, " · ".join(bits)


def _truncate(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def forest_svg(rows: list[dict[str, Any]], title: str) -> str:
    """Forest plot: per row (a PT or the concept, per source) the ROR with its 95% CI and the EBGM with
    EB05-EB95 on a shared log axis with a line at 1, and, when any row has it, the IC with IC025-IC975 on a
    linear axis with a line at 0. Rows with no reports (a = 0) are not drawn: a row with no report has no
    estimate, and a Haldane-corrected point would look like one. Rows with reports but no value are listed with
    "not available". Ratios beyond RATIO_LIMITS are drawn to the edge with an arrow."""
    given = [r for r in (rows or []) if isinstance(r, dict)]
    rows = [r for r in given if (a := num(r.get("a"))) is None or a > 0]  # a row without a count is kept
    if not rows:
        msg = "No reports of it with this drug, so there is no measure to draw." if given else ""
        return _empty(title, msg or "No disproportionality measures are available for this question.")
    ratio_vals: list[float] = []
    ic_vals: list[float] = []
    for r in rows:
        ratio_vals += [v for k in ("ror", "ror_lo", "ror_hi", "ebgm", "eb05", "eb95") if (v := _pos(r.get(k)))]
        ic_vals += [v for k in ("ic", "ic025", "ic975") if (v := num(r.get(k))) is not None]
    has_ratio, has_ic = bool(ratio_vals), bool(ic_vals)
    if not has_ratio and not has_ic:
        return _empty(title, "Measures could not be computed for these rows (too few reports).")

    label_w, row_h, top, legend_h = 300, 34, 56, 28
    ratio_w = 380 if has_ratio else 0
    ic_w = 220 if has_ic else 0
    gap = 30 if has_ratio and has_ic else 0
    width = label_w + ratio_w + gap + ic_w + 20
    height = top + row_h * len(rows) + 40 + legend_h
    plot_top, plot_bottom = top, top + row_h * len(rows)
    left_out = len(given) - len(rows)
    desc = (
        "Each row shows a reporting measure with its interval. Ratios (ROR, EBGM) on a log scale: above 1 means "
        "more reports than expected. IC on a log2 scale: above 0 means more reports than expected. Arrows mark "
        f"intervals beyond the axis ({_fmt_tick(RATIO_LIMITS[0])} to {_fmt_tick(RATIO_LIMITS[1])})."
        + (f" {left_out} row(s) with no reports are not drawn." if left_out else "")
        + " Rows: "
        + "; ".join(" ".join(_row_label(r)) for r in rows)
    )
    parts = _svg_open(width, height, title, desc)

    rx = _LogAxis(ratio_vals, label_w, label_w + ratio_w - 10) if has_ratio else None
    ix0 = label_w + ratio_w + gap
    icx = _LinAxis(ic_vals, ix0, ix0 + ic_w - 10, limits=IC_LIMITS) if has_ic else None

    # Axis grids, reference lines and ticks.
    if rx:
        for t in rx.ticks():
            x = rx.x(t)
            parts.append(
                f'<line x1="{x:.1f}" y1="{plot_top - 6}" x2="{x:.1f}" y2="{plot_bottom}" stroke="{COLOURS["grid"]}"/>'
            )
            parts.append(f'<text x="{x:.1f}" y="{plot_bottom + 16}" text-anchor="middle">{_fmt_tick(t)}</text>')
        x1 = rx.x(1.0)
        parts.append(
            f'<line x1="{x1:.1f}" y1="{plot_top - 6}" x2="{x1:.1f}" y2="{plot_bottom}" stroke="{COLOURS["ref"]}" '
            'stroke-dasharray="4 3"/>'
        )
        parts.append(
            f'<text x="{(rx.x0 + rx.x1) / 2:.1f}" y="{plot_bottom + 32}" text-anchor="middle" fill="{COLOURS["ref"]}">'
            "ROR / EBGM (log scale; 1 = as expected)</text>"
        )
        parts.append(f'<text x="{rx.x0:.1f}" y="{plot_top - 12}" fill="{COLOURS["ref"]}">ratio</text>')
    if icx:
        for t in icx.ticks():
            x = icx.p(t)
            parts.append(
                f'<line x1="{x:.1f}" y1="{plot_top - 6}" x2="{x:.1f}" y2="{plot_bottom}" stroke="{COLOURS["grid"]}"/>'
            )
            parts.append(f'<text x="{x:.1f}" y="{plot_bottom + 16}" text-anchor="middle">{t:g}</text>')
        x0 = icx.p(0.0)
        parts.append(
            f'<line x1="{x0:.1f}" y1="{plot_top - 6}" x2="{x0:.1f}" y2="{plot_bottom}" stroke="{COLOURS["ref"]}" '
            'stroke-dasharray="4 3"/>'
        )
        parts.append(
            f'<text x="{(icx.p0 + icx.p1) / 2:.1f}" y="{plot_bottom + 32}" text-anchor="middle" '
            f'fill="{COLOURS["ref"]}">IC (0 = as expected)</text>'
        )
        parts.append(f'<text x="{icx.p0:.1f}" y="{plot_top - 12}" fill="{COLOURS["ref"]}">information component</text>')

    for i, r in enumerate(rows):
        yc = plot_top + row_h * i + row_h / 2
        if i % 2 == 1:
            parts.append(
                f'<rect x="4" y="{plot_top + row_h * i:.1f}" width="{width - 8}" height="{row_h}" fill="#f5f7fa"/>'
            )
        label, sub = _row_label(r)
        parts.append(
            f'<text x="8" y="{yc - 2:.1f}" fill="{COLOURS["text"]}">{escape(_truncate(label, 40))}'
            f"<title>{escape(label)}</title></text>"
        )
        parts.append(
            f'<text x="8" y="{yc + 12:.1f}" font-size="10.5" fill="#666">{escape(_truncate(sub, 50))}'
            f"<title>{escape(sub)}</title></text>"
        )
        drawn = False
        if rx:
            for key, lo_k, hi_k, colour, dy, shape in (
                ("ror", "ror_lo", "ror_hi", COLOURS["ror"], -5, "square"),
                ("ebgm", "eb05", "eb95", COLOURS["ebgm"], 6, "diamond"),
            ):
                pt, lo, hi = _pos(r.get(key)), _pos(r.get(lo_k)), _pos(r.get(hi_k))
                y = yc + dy
                if lo is not None and hi is not None:
                    parts += _interval_line(rx.x(lo), rx.x(hi), y, colour, rx.clipped(lo), rx.clipped(hi))
                    drawn = True
                if pt is not None:
                    x = rx.x(pt)
                    tip = f"{key.upper()} {pt:.2f} ({_fmt(lo)}-{_fmt(hi)})"
                    if shape == "square":
                        parts.append(
                            f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}">'
                            f"<title>{escape(tip)}</title></rect>"
                        )
                    else:
                        parts.append(
                            f'<path d="M{x:.1f},{y - 5:.1f} l5,5 l-5,5 l-5,-5 z" fill="{colour}">'
                            f"<title>{escape(tip)}</title></path>"
                        )
                    drawn = True
        if icx:
            pt, lo, hi = num(r.get("ic")), num(r.get("ic025")), num(r.get("ic975"))
            if lo is not None and hi is not None:
                parts += _interval_line(icx.p(lo), icx.p(hi), yc, COLOURS["ic"], icx.clipped(lo), icx.clipped(hi))
                drawn = True
            elif lo is not None:  # only the lower bound: a tick, which is what the signal rule uses
                parts.append(
                    f'<line x1="{icx.p(lo):.1f}" y1="{yc - 5:.1f}" x2="{icx.p(lo):.1f}" y2="{yc + 5:.1f}" '
                    f'stroke="{COLOURS["ic"]}" stroke-width="2"/>'
                )
                drawn = True
            if pt is not None:
                parts.append(
                    f'<circle cx="{icx.p(pt):.1f}" cy="{yc:.1f}" r="4" fill="{COLOURS["ic"]}">'
                    f"<title>{escape(f'IC {pt:.2f} ({_fmt(lo)} to {_fmt(hi)})')}</title></circle>"
                )
                drawn = True
        if not drawn:
            parts.append(
                f'<text x="{label_w + 4}" y="{yc + 4:.1f}" fill="{COLOURS["ref"]}" font-style="italic">'
                "not available</text>"
            )

    # Legend.
    ly = height - 12
    legend = []
    if rx:
        legend += [("ror", "ROR with 95% CI"), ("ebgm", "EBGM with EB05-EB95")]
    if icx:
        legend.append(("ic", "IC with IC025-IC975"))
    lx = 8
    for key, text in legend:
        parts.append(f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{COLOURS[key]}"/>')
        parts.append(f'<text x="{lx + 14}" y="{ly}">{escape(text)}</text>')
        lx += 20 + 7 * len(text)
    parts.append("</svg>")
    return "\n".join(parts)


def _has_reports(p: dict[str, Any]) -> bool:
    """False for a quarter whose cumulative count is still 0: its ROR is only the Haldane +0.5 artefact."""
    a = num(p.get("a"))
    return a is None or a > 0


def _label_indices(n: int, every: int) -> list[int]:
    """Quarters that get an x label: every `every`th and the last, without the last crowding its neighbour."""
    idx = list(range(0, n, every))
    if idx[-1] != n - 1:
        if n - 1 - idx[-1] < every * 0.6:
            idx[-1] = n - 1
        else:
            idx.append(n - 1)
    return idx


def trend_svg(points: list[dict[str, Any]], title: str) -> str:
    """Cumulative ROR with its 95% CI by quarter (log scale, line at 1); when no ROR is available, the IC025
    by quarter (line at 0). Quarters without a value, or with no report yet (a = 0), leave a gap."""
    pts = [p for p in (points or []) if isinstance(p, dict)]
    if not pts:
        return _empty(title, "No quarterly counts are available for this question.")
    shown = [p for p in pts if _has_reports(p)]
    use_ror = any(_pos(p.get("ror")) is not None for p in shown)
    use_ic = not use_ror and any(num(p.get("ic025")) is not None for p in shown)
    if not use_ror and not use_ic:
        return _empty(title, "Too few reports by quarter to compute a trend.")

    width, height = 640, 260
    left, right, top, bottom = 56, 16, 40, 200
    n = len(pts)
    step = (width - left - right) / max(n, 1)
    xs = [left + step * (i + 0.5) for i in range(n)]  # a single point sits in the middle
    band = n > 16  # many quarters: a shaded CI band reads better than overlapping bars

    desc = (
        "Cumulative reporting odds ratio by quarter with its 95% confidence interval; 1 means as expected."
        if use_ror
        else "Cumulative IC025 (lower bound of the information component) by quarter; above 0 is a signal."
    )
    parts = _svg_open(width, height, title, desc)
    if use_ror:
        vals = [v for p in shown for k in ("ror", "ror_lo", "ror_hi") if (v := _pos(p.get(k)))]
        ax = _LogAxis(vals, bottom, top)  # pixels run downwards: map lo to the bottom
        ticks, ref, ymap = ax.ticks(), 1.0, ax.x
        ylabel = "cumulative ROR (log)"
    else:
        vals = [v for p in shown if (v := num(p.get("ic025"))) is not None]
        lin = _LinAxis(vals, bottom, top, limits=IC_LIMITS)
        ticks, ref, ymap = lin.ticks(), 0.0, lin.p
        ylabel = "cumulative IC025"
    for t in ticks:
        y = ymap(t)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{COLOURS["grid"]}"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{t:g}</text>')
    yr = ymap(ref)
    parts.append(
        f'<line x1="{left}" y1="{yr:.1f}" x2="{width - right}" y2="{yr:.1f}" stroke="{COLOURS["ref"]}" '
        'stroke-dasharray="4 3"/>'
    )
    parts.append(
        f'<text x="14" y="{(top + bottom) / 2:.1f}" transform="rotate(-90 14 {(top + bottom) / 2:.1f})" '
        f'text-anchor="middle" fill="{COLOURS["ref"]}">{ylabel}</text>'
    )

    colour = COLOURS["ror"] if use_ror else COLOURS["ic"]
    marks: list[str] = []  # points go on top of bands and lines
    segment: list[tuple[float, float]] = []
    ci_segment: list[tuple[float, float, float]] = []
    lines: list[list[tuple[float, float]]] = []
    bands: list[list[tuple[float, float, float]]] = []
    labelled = set(_label_indices(n, max(1, math.ceil(n / 10))))
    for i, (x, p) in enumerate(zip(xs, pts, strict=True)):
        q = str(p.get("quarter") or p.get("period") or "")
        a = num(p.get("a"))
        lo = hi = None
        if use_ror:
            v, lo, hi = _pos(p.get("ror")), _pos(p.get("ror_lo")), _pos(p.get("ror_hi"))
            tip = f"{q}: ROR {_fmt(v)} (95% CI {_fmt(lo)}-{_fmt(hi)})"
        else:
            v = num(p.get("ic025"))
            tip = f"{q}: IC025 {_fmt(v)}"
        if a is not None:
            tip += f", a={a:g}"
        if not _has_reports(p):
            v = lo = hi = None
        if lo is not None and hi is not None:
            if band:
                ci_segment.append((x, ymap(lo), ymap(hi)))
            else:
                marks.append(
                    f'<line x1="{x:.1f}" y1="{ymap(lo):.1f}" x2="{x:.1f}" y2="{ymap(hi):.1f}" stroke="{colour}" '
                    'stroke-opacity="0.45" stroke-width="6" stroke-linecap="round"/>'
                )
        elif ci_segment:
            bands.append(ci_segment)
            ci_segment = []
        if v is None:
            if segment:
                lines.append(segment)
            segment = []
        else:
            y = ymap(v)
            segment.append((x, y))
            r = 2.2 if band else 3.5
            marks.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{colour}"><title>{escape(tip)}</title></circle>'
            )
        if i in labelled:
            marks.append(
                f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle" font-size="10.5">{escape(q)}</text>'
            )
            if a is not None:
                marks.append(
                    f'<text x="{x:.1f}" y="{bottom + 30}" text-anchor="middle" font-size="10" fill="#666">'
                    f"a={a:g}</text>"
                )
    if segment:
        lines.append(segment)
    if ci_segment:
        bands.append(ci_segment)
    for b in bands:
        if len(b) == 1:
            x, y_lo, y_hi = b[0]
            pts_s = f"{x - 2:.1f},{y_lo:.1f} {x + 2:.1f},{y_lo:.1f} {x + 2:.1f},{y_hi:.1f} {x - 2:.1f},{y_hi:.1f}"
        else:
            pts_s = " ".join(f"{x:.1f},{y_hi:.1f}" for x, _, y_hi in b)
            pts_s += " " + " ".join(f"{x:.1f},{y_lo:.1f}" for x, y_lo, _ in reversed(b))
        parts.append(f'<polygon points="{pts_s}" fill="{colour}" fill-opacity="0.18" stroke="none"/>')
    for seg in lines:
        if len(seg) > 1:
            pts_s = " ".join(f"{x:.1f},{y:.1f}" for x, y in seg)
            parts.append(f'<polyline points="{pts_s}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
    parts += marks
    note = "Cumulative: each quarter adds to the earlier ones; empty before the first report."
    if use_ror:
        note = ("Band" if band else "Bars") + ": 95% CI. " + note
    parts.append(f'<text x="{left}" y="{height - 8}" font-size="10.5" fill="#666">{escape(note)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
