// lrdiag's "LR Diagnostics" tab for TensorBoard (dynamic plugin, ES module loaded in an iframe).
//
// Everything shown comes from the plugin's JSON routes; the figures are Plotly figure dicts built
// on the server (lrdiag/figures.py), this module only hands them to Plotly.newPlot. Strings from
// runs (names, tags, messages, code) are data: they are set with textContent or as DOM text
// nodes, never parsed as HTML. Plotly itself is served by the plugin (TensorBoard's CSP blocks
// CDNs).

const STATIC = new URL("./", import.meta.url); // .../data/plugin/lrdiag/static/
const API = new URL("../", STATIC); // .../data/plugin/lrdiag/
const SEVERITY_RANK = { critical: 2, warning: 1, info: 0 };
const MAX_POINTS = 2000;

let plotlyReady = null;
const state = { runs: [], run: null, figures: [], findings: [] };

// -- small DOM helpers (text only) ---------------------------------------------------------

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function clear(node) {
  node.replaceChildren();
  return node;
}

function fmt(x, digits = 3) {
  if (x === null || x === undefined || Number.isNaN(Number(x))) return "–";
  const v = Number(x);
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(digits - 1) : String(Number(v.toPrecision(digits)));
}

// -- server ------------------------------------------------------------------------------

async function api(route, params = {}, init = {}) {
  const url = new URL(route, API);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const response = await fetch(url, { credentials: "same-origin", ...init });
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    throw new Error(`${route}: HTTP ${response.status} (not JSON)`);
  }
  if (!response.ok) throw new Error((body && body.error) || `${route}: HTTP ${response.status}`);
  return body;
}

function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotlyReady) {
    plotlyReady = new Promise((resolve, reject) => {
      const script = el("script", { src: new URL("plotly.min.js", STATIC).href });
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => reject(new Error("could not load plotly.min.js from the lrdiag plugin"));
      document.head.append(script);
    });
  }
  return plotlyReady;
}

// -- page ------------------------------------------------------------------------------

function layout() {
  document.head.append(el("link", { rel: "stylesheet", href: new URL("style.css", STATIC).href }));
  const root = clear(document.body);
  root.className = "lrdiag";
  const select = el("select", { id: "run-select", "aria-label": "run", onchange: (e) => showRun(e.target.value) });
  root.append(
    el("header", {},
      el("h1", { text: "LR Diagnostics" }),
      el("label", { class: "run-picker" }, "Run ", select),
      el("span", { id: "status", class: "status", role: "status" })),
    el("p", { id: "summary", class: "summary" }),
    el("div", { id: "actions", class: "actions" }),
    el("section", { id: "findings-section" }, el("h2", { text: "Findings" }), el("ol", { id: "findings", class: "findings" })),
    el("section", { id: "charts", class: "charts" }),
    el("section", { id: "recommendation", class: "card recommendation", hidden: "" }));
  return select;
}

function setStatus(text, isError = false) {
  const node = document.getElementById("status");
  node.textContent = text;
  node.classList.toggle("error", isError);
}

export async function render() {
  const t0 = performance.now();
  document.body.dataset.state = "loading";
  const select = layout();
  loadPlotly().catch(() => {}); // start fetching the library while the runs load
  // A run named in the page's hash (#run=<name>, kept up to date by showRun) is drawn at once,
  // its figures asked for alongside the run list and the library; an unknown name fails
  // quietly and the run list decides what is shown.
  const wanted = new URLSearchParams(location.hash.slice(1)).get("run");
  const early = wanted ? showRun(wanted, { initial: true, quiet: true }) : Promise.resolve(false);
  let runs;
  try {
    runs = (await api("runs")).runs;
    window.lrdiagRunsMs = performance.now() - t0;
  } catch (e) {
    if (await early) return ready(); // the run is shown; only the run picker could not be filled
    setStatus(e.message, true);
    document.body.dataset.state = "error";
    return;
  }
  state.runs = runs;
  for (const r of runs) {
    const tag = r.has_report ? "" : r.analyzable ? " (no report: can be analysed)" : " (no report)";
    select.append(el("option", { value: r.run }, r.run + tag));
  }
  const listed = runs.some((r) => r.run === wanted);
  if (listed) select.value = wanted;
  if (listed && (await early)) return ready();
  if (!runs.length) {
    setStatus("No run holds lrdiag data or loss and learning-rate scalars yet.");
    document.body.dataset.state = "empty";
    return;
  }
  const first = runs.find((r) => r.run === wanted) || runs.find((r) => r.has_report) || runs[0];
  select.value = first.run;
  if (await showRun(first.run, { initial: true })) ready();

  function ready() {
    document.body.dataset.state = "ready";
    window.lrdiagReadyMs = performance.now(); // since navigation start; read by the browser tests
    window.lrdiagLoadMs = performance.now() - t0; // render() to charts drawn
  }
}

// Show one run: its figures (and Plotly) fetched, summary, findings, charts, recommendation.
// Returns whether it was drawn. The page's first load (``initial``) leaves its ready state to
// render(); ``quiet`` says nothing if the run cannot be shown.
async function showRun(run, { initial = false, quiet = false } = {}) {
  state.run = run;
  // An absolute URL: the page has <base href="plugin/lrdiag/">, which a bare "#..." would follow.
  const url = new URL(location.href);
  url.hash = new URLSearchParams({ run }).toString();
  history.replaceState(null, "", url.href);
  document.body.dataset.state = "loading";
  setStatus("Loading…");
  let data;
  const t0 = performance.now();
  const timings = { run };
  const timed = (name, promise) => promise.then((value) => { timings[name] = performance.now() - t0; return value; });
  try {
    [data] = await Promise.all([timed("figures_ms", api("figures", { run, max_points: MAX_POINTS })), timed("plotly_ms", loadPlotly())]);
  } catch (e) {
    if (state.run === run && !quiet) {
      setStatus(e.message, true);
      document.body.dataset.state = "error";
    }
    return false;
  }
  if (state.run !== run) return false; // the user picked another run meanwhile
  state.figures = data.figures;
  renderSummary(data);
  renderActions(data);
  renderFindings(data.report);
  await renderCharts(data.figures);
  renderRecommendation(data.report, data.figures);
  setStatus(statusLine(data));
  timings.total_ms = performance.now() - t0;
  window.lrdiagTimings = timings; // this run's load: data, library, charts drawn (for the browser tests)
  if (!initial) {
    document.body.dataset.state = "ready";
    window.lrdiagReadyMs = performance.now();
  }
  return true;
}

// 1234567 -> "1,234,567" (toLocaleString would load the locale data: 25 ms on first use).
function grouped(n) {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function statusLine(data) {
  // TensorBoard keeps a sample of each series (1,000 points by default): say so when the run
  // has more steps than points.
  const span = data.last_step === null ? "" : `steps ${grouped(data.first_step)}–${grouped(data.last_step)}`;
  const sampled = data.last_step !== null && data.steps < data.last_step - data.first_step + 1;
  const points = sampled ? ` · ${grouped(data.steps)} points as sampled by TensorBoard` : "";
  return span + points + (data.source === "analysis" ? " · analysed in the tab" : "");
}

function renderSummary(data) {
  const node = document.getElementById("summary");
  const report = data.report;
  if (report) node.textContent = report.summary || "";
  else if (data.report_error) node.textContent = data.report_error;
  else node.textContent = "This run has no lrdiag report yet.";
}

function renderActions(data) {
  const node = clear(document.getElementById("actions"));
  if (data.report || !data.analyzable) return;
  const button = el("button", { id: "analyze", type: "button" }, "Analyse this run");
  button.addEventListener("click", async () => {
    button.disabled = true;
    setStatus("Analysing…");
    try {
      await api("analyze", { run: data.run }, { method: "POST" });
      await showRun(data.run);
    } catch (e) {
      setStatus(e.message, true);
      button.disabled = false;
    }
  });
  node.append(button, el("span", { class: "hint", text: " runs lrdiag.analyze on this run's loss and LR scalars" }));
}

// -- findings --------------------------------------------------------------------------

function sortedFindings(report) {
  const findings = (report && report.findings) || [];
  return [...findings].sort((a, b) =>
    (SEVERITY_RANK[b.severity] ?? 0) - (SEVERITY_RANK[a.severity] ?? 0) ||
    (b.confidence ?? 0) - (a.confidence ?? 0) || a.start_step - b.start_step);
}

function renderFindings(report) {
  const list = clear(document.getElementById("findings"));
  state.findings = sortedFindings(report);
  if (!report) return;
  if (!state.findings.length) {
    list.append(el("li", { class: "finding healthy", text: "No problems found." }));
    return;
  }
  state.findings.forEach((f, i) => {
    const steps = f.start_step === f.end_step ? `step ${f.start_step}` : `steps ${f.start_step}–${f.end_step}`;
    const item = el("li", { class: `finding sev-${String(f.severity)}`, tabindex: "0", dataset: { index: String(i), kind: String(f.kind) } },
      el("span", { class: "badge", text: String(f.severity) }),
      el("strong", { class: "kind", text: String(f.kind) }),
      el("span", { class: "where", text: ` ${steps} · lr ${fmt(f.lr)} · confidence ${fmt(f.confidence, 2)}` }),
      el("div", { class: "message", text: String(f.message ?? "") }));
    item.addEventListener("click", () => focusFinding(i));
    item.addEventListener("keydown", (e) => { if (e.key === "Enter") focusFinding(i); });
    list.append(item);
  });
}

function focusFinding(index) {
  const f = state.findings[index];
  for (const item of document.querySelectorAll(".finding")) item.classList.toggle("selected", item.dataset.index === String(index));
  const chart = document.getElementById("chart-loss_lr");
  if (!f || !chart || !window.Plotly) return;
  const pad = Math.max(10, Math.round((f.end_step - f.start_step) * 0.5));
  window.Plotly.relayout(chart, { "xaxis.range": [f.start_step - pad, f.end_step + pad] });
  const detail = document.getElementById("finding-detail");
  if (detail) detail.textContent = `${f.kind}: ${f.message ?? ""}`;
}

// -- charts ------------------------------------------------------------------------------

async function renderCharts(figures) {
  const Plotly = await loadPlotly();
  const host = document.getElementById("charts");
  for (const old of host.querySelectorAll(".js-plotly-plot")) Plotly.purge(old);
  clear(host);
  for (const fig of figures) {
    if (fig.id === "schedule") continue; // drawn inside the recommendation card
    const box = el("div", { class: "chart-box", id: `box-${fig.id}` });
    if (fig.id === "loss_lr") box.append(axisToggles(), el("div", { id: "finding-detail", class: "finding-detail", "aria-live": "polite" }));
    const div = el("div", { class: "chart", id: `chart-${fig.id}` });
    box.append(div);
    host.append(box);
    const t0 = performance.now();
    await Plotly.newPlot(div, fig.data, fig.layout, { responsive: true, displaylogo: false });
    (window.lrdiagChartMs ||= {})[fig.id] = Math.round(performance.now() - t0); // read by the browser tests
    if (fig.id === "loss_lr") div.on("plotly_click", onChartClick);
  }
}

function onChartClick(event) {
  const point = event && event.points && event.points[0];
  if (!point || !point.data || point.data.yaxis !== "y3") return; // not a finding's hover band
  const x = point.x;
  const index = state.findings.findIndex((f) => String(f.kind) === String(point.customdata) && f.start_step <= x && x <= Math.max(f.end_step, f.start_step + 1));
  if (index >= 0) {
    focusFinding(index);
    const item = document.querySelector(`.finding[data-index="${index}"]`);
    if (item) item.scrollIntoView({ block: "nearest" });
  }
}

function axisToggles() {
  const toggle = (label, axis, initial) => {
    const box = el("input", { type: "checkbox" });
    box.checked = initial;
    box.addEventListener("change", () => {
      const chart = document.getElementById("chart-loss_lr");
      window.Plotly.relayout(chart, { [`${axis}.type`]: box.checked ? "log" : "linear" });
    });
    return el("label", { class: "toggle" }, box, ` ${label}`);
  };
  return el("div", { class: "toggles" }, toggle("log loss", "yaxis", false), toggle("log LR", "yaxis2", true), toggle("log step", "xaxis", false));
}

// -- recommendation ---------------------------------------------------------------------

function renderRecommendation(report, figures) {
  const card = clear(document.getElementById("recommendation"));
  const rec = report && report.recommendation;
  if (!rec) {
    card.hidden = true;
    return;
  }
  card.hidden = false;
  card.append(el("h2", { text: "Recommendation" }), el("div", { class: "rec-kind", text: String(rec.kind ?? "") }));
  const params = rec.params && typeof rec.params === "object" ? Object.entries(rec.params) : [];
  if (params.length) {
    const dl = el("dl", { class: "params" });
    for (const [k, v] of params) dl.append(el("dt", { text: k }), el("dd", { text: typeof v === "number" ? fmt(v, 4) : JSON.stringify(v) }));
    card.append(dl);
  }
  if (rec.rationale) card.append(el("p", { class: "rationale", text: String(rec.rationale) }));
  const schedule = figures.find((f) => f.id === "schedule");
  if (schedule && window.Plotly) {
    const div = el("div", { class: "chart", id: "chart-schedule" });
    card.append(div);
    window.Plotly.newPlot(div, schedule.data, { ...schedule.layout, height: 260 }, { responsive: true, displaylogo: false });
  }
  if (rec.code) {
    const code = el("code", { text: String(rec.code) });
    const copy = el("button", { type: "button", class: "copy", id: "copy-code" }, "Copy");
    copy.addEventListener("click", () => copyText(String(rec.code), copy));
    card.append(el("div", { class: "code-head" }, el("span", { text: "PyTorch" }), copy), el("pre", { class: "code" }, code));
  }
}

async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (e) {
    // The iframe may lack clipboard permission: fall back to a selected textarea.
    const area = el("textarea", { class: "offscreen" });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = "Copy"; }, 1500);
}
