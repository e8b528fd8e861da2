// When each step ran: an SVG with one bar per step, in tree order, each sub-step indented under its parent.
import { html, svg } from "lit-html";
import { duration, statusWord } from "./format.js";
import { flatten } from "./tree.js";

const WIDTH = 960;
const LABELS = 300; // the left column, for the steps' numbers and descriptions
const ROW = 24;
const AXIS = 28;
const INDENT = 14;
const CHARACTERS = 30;

function shortened(text, room) {
  return text.length > room ? `${text.slice(0, room - 1)}…` : text;
}

export function timeline(job, roots, now) {
  const nodes = flatten(roots);
  if (nodes.length === 0) return html`<p>No steps yet.</p>`;
  const start = Number(job.start_time);
  const ends = nodes.map(({ step }) => Number(step.end_time ?? (step.status === "started" ? now : step.start_time)));
  const end = Math.max(start + 1000, Number(job.end_time ?? now), ...ends);
  const span = end - start;
  const scale = (WIDTH - LABELS - 12) / span;
  const x = (ms) => LABELS + (Number(ms) - start) * scale;
  const height = AXIS + nodes.length * ROW + 4;
  const rows = nodes.map((node, row) => {
    const { step, depth, label } = node;
    const y = AXIS + row * ROW;
    const from = x(step.start_time ?? start);
    const to = x(step.end_time ?? (step.status === "started" ? now : step.start_time ?? start));
    const said = `${label} ${step.description}: ${statusWord(step.status)}, ${duration(Number(to - from) / scale)}`;
    return svg`<g class="row" data-step=${step.id} data-depth=${depth}>
      <text class="label" x=${6 + depth * INDENT} y=${y + 16}>${label} ${shortened(step.description, CHARACTERS - depth * 2)}</text>
      ${depth > 0 ? svg`<path class="nest" d="M${depth * INDENT - 4} ${y + 2}v10h6" />` : ""}
      <rect class="bar bar-${step.status}" x=${from} y=${y + 5} width=${Math.max(3, to - from)} height=${ROW - 10} rx="3"
        ><title>${said}</title></rect>
    </g>`;
  });
  return html`<svg class="timeline" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img"
    aria-label=${`Timeline of ${nodes.length} steps over ${duration(span)}`}>
    <line class="axis" x1=${LABELS} y1=${AXIS - 6} x2=${WIDTH - 12} y2=${AXIS - 6} />
    <text class="tick" x=${LABELS} y="14">0 s</text>
    <text class="tick" x=${WIDTH - 12} y="14" text-anchor="end">${duration(span)}</text>
    ${rows}
  </svg>`;
}
