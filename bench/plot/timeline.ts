// A small hand-written SVG plotter for benchmark timelines (no dependency): stacked panels sharing
// one time axis, each with its own y axis, line series, a legend, and vertical event markers.

export interface Series {
  name: string;
  values: readonly (number | null)[];
  color: string;
  dash?: string;
  width?: number;
  kind?: 'bars';
  opacity?: number;
  dots?: boolean;
}
export interface Panel {
  label: string;
  series: Series[];
  yMax?: number;
  log?: boolean;
  panelHeight?: number;
}
export interface Marker {
  t: number;
  label: string;
  color?: string;
}
export interface Band {
  from: number;
  to: number;
  label?: string;
  color?: string;
}
export interface TimelineSpec {
  title: string;
  subtitle?: string;
  /** x values (seconds) shared by every series */
  t: readonly number[];
  panels: Panel[];
  markers?: Marker[];
  bands?: Band[];
  width?: number;
  panelHeight?: number;
  xLabel?: string;
}

const esc = (s: unknown): string => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (x: number): string => (Math.abs(x) >= 10_000 ? `${Math.round(x / 1000)}k` : Math.abs(x) >= 1000 ? `${(x / 1000).toFixed(1).replace(/\.0$/, '')}k` : `${Number(x.toPrecision(3))}`);

/** "Nice" tick step for a range split into about `n` intervals (1, 2, 5 × 10^k). */
function niceStep(range: number, n: number): number {
  if (!(range > 0)) return 1;
  const raw = range / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/** The SVG of stacked panels over one time axis. */
export function timelineSvg({ title, subtitle = '', t, panels, markers = [], bands = [], width = 980, panelHeight = 230, xLabel = 'time (s)' }: TimelineSpec): string {
  const left = 78;
  const right = 24;
  const top = subtitle ? 62 : 46;
  const gap = 54;
  const plotW = width - left - right;
  const heights = panels.map((p) => p.panelHeight ?? panelHeight);
  const yStart = heights.map((_, i): number => top + heights.slice(0, i).reduce((a, h) => a + h + gap, 0));
  const height = top + heights.reduce((a, h) => a + h + gap, 0) + 10;
  const xMin = t.length ? Math.min(...t) : 0;
  const xMax = t.length ? Math.max(...t, xMin + 1) : 1;
  const X = (x: number): number => left + ((x - xMin) / (xMax - xMin)) * plotW;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`);
  if (subtitle) out.push(`<text x="${width / 2}" y="40" text-anchor="middle" font-size="11" fill="#555">${esc(subtitle)}</text>`);
  const xStep = niceStep(xMax - xMin, 10);
  panels.forEach((p, pi) => {
    const ph = heights[pi]!;
    const y0 = yStart[pi]!;
    const y1 = y0 + ph;
    const all = p.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
    const log = p.log === true;
    let yMin = 0;
    let yMax = p.yMax ?? Math.max(1, ...all) * 1.08;
    if (log) {
      const pos = all.filter((v) => v > 0);
      yMin = 10 ** Math.floor(Math.log10(Math.max(1e-9, Math.min(...pos, yMax))));
      yMax = 10 ** Math.ceil(Math.log10(Math.max(...pos, yMin * 10)));
    }
    const Y = log ? (v: number): number => y1 - ((Math.log10(Math.max(v, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * ph : (v: number): number => y1 - ((v - yMin) / (yMax - yMin)) * ph;
    // bands, grid, ticks
    for (const b of bands) {
      const a = X(Math.max(xMin, b.from));
      const z = X(Math.min(xMax, b.to));
      if (z > a) out.push(`<rect x="${a}" y="${y0}" width="${z - a}" height="${ph}" fill="${b.color ?? '#f3e3e3'}" opacity="0.6"/>`);
      if (pi === 0 && b.label) out.push(`<text x="${(a + z) / 2}" y="${y0 + 14}" text-anchor="middle" font-size="11" fill="#844">${esc(b.label)}</text>`);
    }
    out.push(`<rect x="${left}" y="${y0}" width="${plotW}" height="${ph}" fill="none" stroke="#333"/>`);
    const yTicks: number[] = [];
    if (log) for (let v = yMin; v <= yMax * 1.0001; v *= 10) yTicks.push(v);
    else for (let v = 0, s = niceStep(yMax - yMin, 5); v <= yMax + 1e-9; v += s) yTicks.push(v);
    for (const v of yTicks) {
      const y = Y(v);
      out.push(`<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>`);
      out.push(`<line x1="${left - 5}" x2="${left}" y1="${y}" y2="${y}" stroke="#333"/>`);
      out.push(`<text x="${left - 8}" y="${y + 4}" text-anchor="end">${fmt(v)}</text>`);
    }
    for (let x = Math.ceil(xMin / xStep) * xStep; x <= xMax + 1e-9; x += xStep) {
      const px = X(x);
      out.push(`<line x1="${px}" x2="${px}" y1="${y1}" y2="${y1 + 5}" stroke="#333"/>`);
      out.push(`<text x="${px}" y="${y1 + 18}" text-anchor="middle">${fmt(x)}</text>`);
    }
    out.push(`<text x="${left + plotW / 2}" y="${y1 + 36}" text-anchor="middle" fill="#333">${esc(xLabel)}</text>`);
    out.push(`<text transform="translate(${18},${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle" fill="#333">${esc(p.label)}${log ? ' (log)' : ''}</text>`);
    // series
    for (const s of p.series) {
      if (s.kind === 'bars') {
        const w = Math.max(1, (plotW / Math.max(1, t.length)) * 0.8);
        s.values.forEach((v, i) => {
          if (v === null || !Number.isFinite(v) || v <= 0) return;
          const y = Y(Math.min(v, yMax));
          out.push(`<rect x="${(X(t[i]!) - w / 2).toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${(y1 - y).toFixed(1)}" fill="${s.color}" opacity="${s.opacity ?? 0.45}"/>`);
        });
        continue;
      }
      if (s.dots) {
        s.values.forEach((v, i) => {
          if (v === null || !Number.isFinite(v) || (log && v <= 0)) return;
          out.push(`<circle cx="${X(t[i]!).toFixed(1)}" cy="${Y(Math.min(v, yMax)).toFixed(1)}" r="2.2" fill="${s.color}"/>`);
        });
      }
      let d = '';
      let pen = false;
      s.values.forEach((v, i) => {
        if (v === null || !Number.isFinite(v) || (log && v <= 0)) {
          pen = false;
          return;
        }
        d += `${pen ? 'L' : 'M'}${X(t[i]!).toFixed(1)},${Y(Math.min(v, yMax)).toFixed(1)}`;
        pen = true;
      });
      if (d) out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.8}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    }
    // legend
    let lx = left + 10;
    for (const s of p.series) {
      out.push(`<line x1="${lx}" x2="${lx + 22}" y1="${y0 - 9}" y2="${y0 - 9}" stroke="${s.color}" stroke-width="2.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
      out.push(`<text x="${lx + 27}" y="${y0 - 5}">${esc(s.name)}</text>`);
      lx += 37 + s.name.length * 6.6;
    }
    // markers
    for (const m of markers) {
      if (m.t < xMin || m.t > xMax) continue;
      const px = X(m.t);
      out.push(`<line x1="${px}" x2="${px}" y1="${y0}" y2="${y1}" stroke="${m.color ?? '#c00'}" stroke-width="1.5" stroke-dasharray="5,3"/>`);
      const nearRight = px > left + plotW * 0.8;
      if (pi === 0) out.push(`<text x="${nearRight ? px - 4 : px + 4}" y="${y0 + 28 + (markers.indexOf(m) % 4) * 13}" text-anchor="${nearRight ? 'end' : 'start'}" fill="${m.color ?? '#c00'}" font-size="11">${esc(m.label)}</text>`);
    }
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Centred moving average over `n` points (nulls count as 0: a second without a block committed nothing). */
export function movingAverage(values: readonly (number | null)[], n: number): number[] {
  const h = Math.floor(n / 2);
  return values.map((_, i) => {
    let s = 0;
    let c = 0;
    for (let j = Math.max(0, i - h); j <= Math.min(values.length - 1, i + h); j++) {
      s += values[j] ?? 0;
      c++;
    }
    return s / c;
  });
}
