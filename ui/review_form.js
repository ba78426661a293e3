// The review form: one item's texts and the SME's choices, held in the browser.
//
// A key or click changes only this page's DOM (no server round trip), so its feedback is
// drawn in the same frame. Submit, skip and back are sent to the server as one action each
// (setTriggerValue); the server validates and writes, then answers with new data. The
// server also sends the item that comes after this one, so on submit or skip the screen
// moves on at once; when the server answers, the screen follows what it says (an error
// brings the item back with the choices kept). Every text is set with textContent: a model
// output never becomes markup.

const drafts = new Map(); // "sample|item" -> the choices made on that item, until stored
const queued = []; // actions waiting for the one in flight
let pending = null; // the action in flight: {nonce, kind, key}
let shown = null; // the item on screen (the server's current, or the next one, moved to)
let latest = null; // the newest render: {data, send, root}
let built = null; // the DOM of the item on screen: {key, parts}
let message = null; // an error to show: the server's, or the form's own check
let counter = 0;

const SCORE_KEYS = { A: "12345", B: "67890" };
const PASS_KEYS = { q: "A", w: "B" };
const SAFETY_KEYS = { x: "A", y: "B" };
const PREFERENCE_KEYS = { a: "A", b: "B", t: "tie" };

const keyOf = (item) => `${item.sample_id}|${item.item_id}`;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") node.textContent = value;
    else if (name === "on") for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child) node.appendChild(child);
  return node;
}

function draftFor(item) {
  const key = keyOf(item);
  if (!drafts.has(key)) {
    const old = item.existing || { responses: {}, preference: null, notes: "" };
    const draft = { score: {}, explicit: {}, stored: {}, modes: {}, safety: {} };
    for (const r of item.responses) {
      const label = old.responses[r.side];
      draft.score[r.side] = label ? label.score : null;
      draft.explicit[r.side] = null; // pass/fail set in this edit
      draft.stored[r.side] = label ? { score: label.score, passed: label.passed } : null;
      draft.modes[r.side] = label ? [...label.failure_modes] : [];
      draft.safety[r.side] = label ? label.safety_flag : false;
    }
    draft.preference = old.preference || null;
    draft.notes = old.notes || "";
    drafts.set(key, draft);
  }
  return drafts.get(key);
}

// Pass/fail set in this edit, else the stored one while the score is unchanged, else from
// the score (pass_score or more passes). The server applies the same rule to a null.
function verdict(draft, side, passScore) {
  if (draft.explicit[side] !== null && draft.explicit[side] !== undefined) return draft.explicit[side];
  const score = draft.score[side];
  const stored = draft.stored[side];
  if (stored && stored.score === score && stored.passed !== null) return stored.passed;
  return score === null ? null : score >= passScore;
}

function problem(item, draft) {
  for (const r of item.responses) {
    if (draft.score[r.side] === null) return `Response ${r.side}: choose a score from 1 to 5`;
  }
  if (item.responses.length === 2 && draft.preference === null) {
    return "choose which response is better: A, B or tie";
  }
  return null;
}

function textBlock(text, empty = "(empty)") {
  return el("div", { class: "rv-text", text: text || empty });
}

function buildItem(item, data) {
  const parts = { scores: {}, verdicts: {}, safety: {}, modes: {}, preference: {} };
  const pair = item.responses.length === 2;
  const head = el(
    "div",
    { class: "rv-head" },
    el("p", { class: "rv-item", text: `Item ${item.item_id}` }),
    item.done ? el("p", { class: "rv-hint", text: "You labelled this item already: submitting changes your label." }) : null,
  );
  const columns = el("div", { class: pair ? "rv-cols rv-pair" : "rv-cols" });
  for (const r of item.responses) columns.appendChild(responsePanel(r, data, parts));
  const notes = el("textarea", { class: "rv-notes", rows: "3", "aria-label": "Notes" });
  notes.value = draftFor(item).notes;
  notes.addEventListener("input", () => (draftFor(item).notes = notes.value));
  parts.notes = notes;
  parts.error = el("div", { class: "rv-error", role: "alert" });
  parts.summary = el("p", { class: "rv-summary" });
  parts.status = el("span", { class: "rv-status", "aria-live": "polite" });
  const root = el(
    "div",
    { class: "rv" },
    head,
    legend(pair),
    el("h4", { text: "Prompt" }),
    textBlock(item.prompt),
    el("details", {}, el("summary", { text: "Retrieved context" }), textBlock(item.context)),
    el("h4", { text: "Ground truth" }),
    textBlock(item.ground_truth),
    columns,
    pair ? preferenceRow(parts) : null,
    el("label", { class: "rv-notes-label" }, el("span", { text: "Notes" }), notes),
    parts.error,
    parts.summary,
    actions(item, parts),
  );
  return { key: keyOf(item), item, root, parts };
}

function legend(pair) {
  const keys = [["1–5", "score A"]];
  if (pair) keys.push(["6–0", "score B"]);
  keys.push([pair ? "Q W" : "Q", "pass/fail"], [pair ? "X Y" : "X", "safety"]);
  if (pair) keys.push(["A B T", "better"]);
  keys.push(["Ctrl+Enter", "submit"], ["S", "skip"], ["←", "back"]);
  const line = el("p", { class: "rv-legend" });
  keys.forEach(([k, what], i) => {
    if (i) line.appendChild(document.createTextNode(" · "));
    line.appendChild(el("kbd", { text: k }));
    line.appendChild(document.createTextNode(` ${what}`));
  });
  return line;
}

function button(label, attrs, onClick) {
  return el("button", { type: "button", ...attrs, on: { click: onClick } }, document.createTextNode(label));
}

function responsePanel(response, data, parts) {
  const side = response.side;
  const body = response.error || response.text === null
    ? el("div", { class: "rv-warning", text: "No answer: the model call failed for this item." })
    : textBlock(response.text);
  const scores = el("div", { class: "rv-scores", role: "group", "aria-label": `Score for Response ${side}` });
  parts.scores[side] = [];
  for (let value = 1; value <= 5; value++) {
    const shortcut = SCORE_KEYS[side][value - 1];
    const b = button(String(value), { class: "rv-choice", "data-key": `${side}-score-${value}`, title: `Key ${shortcut}` }, () => choose("score", side, value));
    scores.appendChild(b);
    parts.scores[side].push(b);
  }
  parts.verdicts[side] = button("Pass / fail", { class: "rv-verdict", "data-key": `${side}-verdict`, title: "Pass/fail follows the score (3+ passes); click to override." }, () => choose("pass", side));
  parts.safety[side] = button("⚑ Safety flag", { class: "rv-flag", "data-key": `${side}-safety` }, () => choose("safety", side));
  const modes = el("div", { class: "rv-modes", role: "group", "aria-label": `Failure modes of Response ${side}` });
  parts.modes[side] = {};
  for (const mode of data.modes) {
    const chip = button(mode, { class: "rv-chip", "data-key": `${side}-mode-${mode}` }, () => choose("mode", side, mode));
    parts.modes[side][mode] = chip;
    modes.appendChild(chip);
  }
  return el(
    "div",
    { class: "rv-response", "data-side": side },
    el("h3", { text: `Response ${side}` }),
    el("div", { class: "rv-box" }, body),
    scores,
    el("div", { class: "rv-row" }, parts.verdicts[side], parts.safety[side]),
    el("p", { class: "rv-caption", text: "Failure modes" }),
    modes,
  );
}

function preferenceRow(parts) {
  const row = el("div", { class: "rv-scores", role: "group", "aria-label": "Which response is better?" });
  for (const value of ["A", "B", "tie"]) {
    const label = value === "tie" ? "Tie" : `${value} is better`;
    const b = button(label, { class: "rv-choice", "data-key": `preference-${value}` }, () => choose("preference", null, value));
    parts.preference[value] = b;
    row.appendChild(b);
  }
  return el("div", { class: "rv-preference" }, el("p", { class: "rv-strong", text: "Which response is better?" }), row);
}

function actions(item, parts) {
  parts.submit = button("Submit and next", { class: "rv-submit", "data-key": "submit", title: "Ctrl+Enter" }, () => submit());
  parts.skip = button("Skip", { class: "rv-plain", "data-key": "skip", title: "S" }, () => skip());
  parts.back = button("Back", { class: "rv-plain", "data-key": "back", title: "Left arrow" }, () => back());
  if (item.done) parts.skip.disabled = true;
  return el("div", { class: "rv-actions" }, parts.submit, parts.skip, parts.back, parts.status);
}

function setPressed(node, on) {
  node.setAttribute("aria-pressed", on ? "true" : "false");
}

// Draw the choices of the item on screen: which buttons are chosen, pass/fail, the summary.
function paint() {
  if (!built) return;
  const { item, parts } = built;
  const draft = draftFor(item);
  const passScore = latest.data.pass_score;
  const summary = [];
  for (const r of item.responses) {
    const side = r.side;
    parts.scores[side].forEach((b, i) => setPressed(b, draft.score[side] === i + 1));
    const v = verdict(draft, side, passScore);
    const state = v === null ? "none" : v ? "pass" : "fail";
    parts.verdicts[side].dataset.state = state;
    parts.verdicts[side].textContent = { none: "Pass / fail", pass: "✓ Pass", fail: "✗ Fail" }[state];
    setPressed(parts.safety[side], draft.safety[side]);
    for (const [mode, chip] of Object.entries(parts.modes[side])) setPressed(chip, draft.modes[side].includes(mode));
    const score = draft.score[side] === null ? "—" : String(draft.score[side]);
    const extra = draft.modes[side].length ? ` (${draft.modes[side].join(", ")})` : "";
    const flag = draft.safety[side] ? " · ⚑ safety" : "";
    summary.push(`${side} ${score}${{ none: "", pass: " ✓ pass", fail: " ✗ fail" }[state]}${extra}${flag}`);
  }
  if (item.responses.length === 2) {
    for (const [value, b] of Object.entries(parts.preference)) setPressed(b, draft.preference === value);
    summary.push(`better ${draft.preference === null ? "—" : draft.preference}`);
  }
  parts.summary.textContent = `Chosen: ${summary.join(" · ")}`;
  parts.error.textContent = message || "";
  parts.error.hidden = !message;
  parts.status.textContent = pending ? "Saving…" : "";
  parts.back.disabled = !latest.data.can_back && !pending;
}

function choose(what, side, value) {
  if (!built) return;
  const item = built.item;
  const draft = draftFor(item);
  const sides = item.responses.map((r) => r.side);
  if (side !== null && !sides.includes(side)) return;
  if (what === "score") draft.score[side] = value;
  else if (what === "pass") draft.explicit[side] = !verdict(draft, side, latest.data.pass_score);
  else if (what === "safety") draft.safety[side] = !draft.safety[side];
  else if (what === "mode") {
    const modes = draft.modes[side];
    draft.modes[side] = modes.includes(value) ? modes.filter((m) => m !== value) : [...modes, value];
  } else if (what === "preference") {
    if (sides.length !== 2) return;
    draft.preference = value;
  }
  message = null;
  paint();
}

function send(action) {
  if (pending) {
    queued.push(action);
    return;
  }
  counter += 1;
  pending = { ...action, nonce: `${Date.now().toString(36)}-${counter}` };
  latest.send("action", pending);
}

// Move the screen to the item the server said comes after this one, if it sent it.
function moveOn(from) {
  const next = latest.data.next;
  if (next && keyOf(latest.data.current) === keyOf(from)) show(next);
}

function submit() {
  if (!built) return;
  const item = built.item;
  const draft = draftFor(item);
  draft.notes = built.parts.notes.value;
  message = problem(item, draft);
  if (message) return paint();
  const responses = item.responses.map((r) => ({
    side: r.side,
    score: draft.score[r.side],
    passed: verdict(draft, r.side, latest.data.pass_score),
    failure_modes: [...draft.modes[r.side]],
    safety_flag: draft.safety[r.side],
  }));
  const preference = item.responses.length === 2 ? draft.preference : null;
  send({ kind: "submit", sample_id: item.sample_id, item_id: item.item_id, responses, preference, notes: draft.notes });
  moveOn(item);
  paint();
}

function skip() {
  if (!built || built.item.done) return;
  const item = built.item;
  send({ kind: "skip", sample_id: item.sample_id, item_id: item.item_id });
  moveOn(item);
  paint();
}

function back() {
  if (!latest.data.can_back && !pending) return; // nothing labelled yet to go back to
  send({ kind: "back" });
  paint();
}

function show(item) {
  shown = item;
  const signature = JSON.stringify(item); // redraw only when what is shown changes
  if (!built || built.signature !== signature) {
    const moved = !built || built.key !== keyOf(item);
    built = { ...buildItem(item, latest.data), signature };
    latest.root.replaceChildren(built.root);
    // A new item is read from its prompt: bring its top into view if the SME had scrolled
    // down to the controls (the same item redrawn keeps its place).
    if (moved && built.root.getBoundingClientRect().top < 0) built.root.scrollIntoView({ block: "start" });
  }
}

// The server answered (or redrew for another reason, such as the PII mask): follow it.
function follow(data) {
  const answered = pending && data.ack === pending.nonce;
  if (answered) {
    if (pending.kind === "submit" && !data.error) drafts.delete(`${pending.sample_id}|${pending.item_id}`);
    pending = null;
  }
  message = data.error || null;
  if (!data.current) {
    latest.root.replaceChildren();
    built = null;
    shown = null;
    return;
  }
  if (pending) {
    // Still waiting: keep the item moved to, with the texts of this render.
    const same = [data.current, data.next].find((i) => i && shown && keyOf(i) === keyOf(shown));
    show(same || data.current);
  } else {
    show(data.current);
  }
  if (!pending && queued.length) {
    const action = queued.shift();
    send(action);
    if (action.kind === "submit" || action.kind === "skip") moveOn({ sample_id: action.sample_id, item_id: action.item_id });
  }
}

// Keys typed into a text field are text, not shortcuts; a focused toggle or button is not one.
const NOT_TEXT = ["checkbox", "radio", "button", "submit", "reset", "range", "color", "file"];
function typing(event) {
  const target = event.composedPath()[0];
  if (!target || !target.tagName) return false;
  if (target.tagName === "INPUT") return !NOT_TEXT.includes((target.type || "text").toLowerCase());
  return ["TEXTAREA", "SELECT"].includes(target.tagName) || target.isContentEditable;
}

function onKey(event) {
  if (!built || event.defaultPrevented || event.altKey || event.metaKey) return;
  if (event.ctrlKey && event.key === "Enter") {
    event.preventDefault();
    return submit();
  }
  if (event.ctrlKey || typing(event)) return;
  const key = event.key.toLowerCase();
  const sides = built.item.responses.map((r) => r.side);
  let handled = true;
  const scoreSide = sides.find((s) => SCORE_KEYS[s].includes(key));
  if (key.length === 1 && scoreSide) choose("score", scoreSide, SCORE_KEYS[scoreSide].indexOf(key) + 1);
  else if (PASS_KEYS[key] && sides.includes(PASS_KEYS[key])) choose("pass", PASS_KEYS[key]);
  else if (SAFETY_KEYS[key] && sides.includes(SAFETY_KEYS[key])) choose("safety", SAFETY_KEYS[key]);
  else if (PREFERENCE_KEYS[key] && sides.length === 2) choose("preference", null, PREFERENCE_KEYS[key]);
  else if (key === "s") skip();
  else if (event.key === "ArrowLeft") back();
  else handled = false;
  if (handled) event.preventDefault();
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let root = parentElement.querySelector(".rv-root");
  if (!root) {
    root = el("div", { class: "rv-root" });
    parentElement.appendChild(root);
  }
  if (latest && latest.root !== root) built = null; // a new mount: draw afresh
  latest = { data, send: setTriggerValue, root };
  follow(data);
  paint();
  document.addEventListener("keydown", onKey);
  return () => document.removeEventListener("keydown", onKey);
}
