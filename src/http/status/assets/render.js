// mcp-vitals status view: draws what the daemon sends (a full payload, then deltas), no framework. Shared
// by the HTTP page (data over SSE) and the MCP App (data through the host's app bridge); each hands in how
// to fetch a check's detail. Text and icon carry every status; colour only repeats them.

(() => {
  const HOUR = 3600;
  /** A line through fewer points says nothing (two points make a steep line out of noise). */
  const MIN_POINTS = 4;
  const SLOT_MS = 30 * 60_000;
  const RANK = { fail: 0, warn: 1, pending: 2, pass: 3 };
  const GROUP = { dependency: 0, host: 1, self: 2 };
  const SLOT_WORD = ['ok', 'warning', 'failed'];
  const $ = (sel) => document.querySelector(sel);
  const el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  };

  function ago(iso) {
    const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (s < 60) return `${s}s ago`;
    if (s < 3600) return `${Math.floor(s / 60)}m ago`;
    if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m ago`;
    return `${Math.floor(s / 86400)}d ago`;
  }
  function duration(sec) {
    if (sec === null || sec === undefined) return 'unknown';
    if (sec < 1) return `${Math.round(sec * 1000)}ms`;
    if (sec < 10) return `${sec.toFixed(1)}s`;
    const s = Math.round(sec);
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
    return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  }
  const clock = (iso) => (iso ? new Date(iso).toLocaleTimeString([], { hour12: false }) : '?');
  function fmt(unit, v) {
    if (v === null || v === undefined || !Number.isFinite(v)) return '';
    if (unit === 'ratio') return `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`;
    if (unit === 's') return v < 1 ? `${(v * 1000).toFixed(v < 0.01 ? 1 : 0)} ms` : `${v.toFixed(2)} s`;
    return String(Math.round(v * 100) / 100);
  }
  // A colour variable as the canvas needs it (`rgb(…)`): the variables hold `light-dark(…)`, which only the
  // style engine resolves, so a hidden probe element is given the colour and its computed value read back.
  let probe;
  function cssVar(name, fallback) {
    if (!probe) {
      probe = el('span', { hidden: '', 'aria-hidden': 'true' });
      document.body.append(probe);
    }
    probe.style.color = `var(${name}, ${fallback})`;
    return getComputedStyle(probe).color || fallback;
  }
  const translucent = (rgb) => rgb.replace(/^rgb\((.*)\)$/, 'rgba($1, 0.13)');

  function create(opts) {
    const state = {
      rows: new Map(),
      series: new Map(),
      charts: new Map(),
      gauges: new Map(),
      uptime: new Map(),
      uptimeFrom: 0,
      view: null,
      detail: null,
    };

    function setStatus(node, status, icon, word) {
      node.dataset.status = status;
      node.querySelector('.icon').textContent = icon;
      node.querySelector('.word').textContent = word;
    }

    // Points for the charts, trimmed to the last hour; a row and a card of one name share them.
    function push(name, t, v) {
      if (v === null || v === undefined) return;
      let s = state.series.get(name);
      if (!s) {
        s = [[], []];
        state.series.set(name, s);
      }
      if (s[0].length && s[0][s[0].length - 1] >= t) return;
      s[0].push(t);
      s[1].push(v);
      while (s[0].length && s[0][0] < t - HOUR) {
        s[0].shift();
        s[1].shift();
      }
      for (const key of [`row:${name}`, `card:${name}`]) draw(key);
    }

    // Charts are keyed by where they sit (`row:cpu`, `card:cpu`), so the table's chart never replaces a card's.
    function draw(key) {
      const c = state.charts.get(key);
      if (!c) return;
      const data = state.series.get(c.name) || [[], []];
      const enough = data[0].length >= MIN_POINTS;
      c.box.dataset.points = String(data[0].length);
      if (!enough) {
        c.box.textContent = 'collecting…';
        return;
      }
      if (c.plot) return c.plot.setData(data);
      if (typeof uPlot === 'undefined') return;
      c.box.textContent = '';
      const color = cssVar('--accent', '#0969da');
      const width = Math.max(80, Math.floor(c.box.getBoundingClientRect().width) || c.width);
      c.plot = new uPlot(
        {
          width,
          height: c.height,
          legend: { show: false },
          cursor: { show: false },
          select: { show: false },
          axes: [{ show: false }, { show: false }],
          scales: { x: { time: true } },
          series: [{}, { stroke: color, width: 1.5, fill: translucent(color), points: { show: false } }],
        },
        data,
        c.box,
      );
    }

    function chart(key, name, box, width, height) {
      const old = state.charts.get(key);
      if (old?.plot) old.plot.destroy();
      state.charts.set(key, { name, box, width, height, plot: null });
      draw(key);
    }

    function renderGauge(g) {
      let node = state.gauges.get(g.name);
      if (!node) {
        node = el(
          'div',
          { class: 'gauge', 'data-gauge': g.name },
          el(
            'div',
            { class: 'label' },
            el('span', { class: 'name', text: g.label, title: g.label }),
            el('span', { class: 'value' }),
          ),
          el(
            'div',
            { class: 'bar', role: 'meter', 'aria-label': g.label, 'aria-valuemin': '0', 'aria-valuemax': '100' },
            el('span'),
          ),
          el('div', { class: 'chart', 'aria-hidden': 'true' }),
        );
        $('#gauges').append(node);
        state.gauges.set(g.name, node);
        chart(`card:${g.name}`, g.name, node.querySelector('.chart'), 200, 48);
      }
      node.dataset.status = g.status || 'pending';
      const text = g.status && g.status !== 'pass' ? `${g.text} · ${g.word}` : g.text;
      node.querySelector('.value').textContent = text;
      const pct = g.ratio === null ? 0 : Math.round(g.ratio * 1000) / 10;
      const bar = node.querySelector('.bar');
      bar.setAttribute('aria-valuenow', String(pct));
      bar.setAttribute('aria-valuetext', text);
      bar.firstElementChild.style.width = `${pct}%`;
    }

    function renderUptime(name) {
      const tr = state.rows.get(name);
      const slots = state.uptime.get(name);
      if (!tr || !slots) return;
      const box = tr.querySelector('.uptime');
      const known = slots.filter((s) => s !== null);
      const ok = known.filter((s) => s === 0).length;
      box.setAttribute(
        'aria-label',
        known.length
          ? `last 24 hours: ${ok} of ${known.length} recorded half-hours ok`
          : 'last 24 hours: nothing recorded yet',
      );
      box.replaceChildren(
        ...slots.map((s, i) =>
          el('span', {
            'data-s': s === null ? 'none' : String(s),
            title:
              new Date(state.uptimeFrom + i * SLOT_MS).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) +
              ' ' +
              (s === null ? 'no data' : SLOT_WORD[s]),
          }),
        ),
      );
    }

    // The current half-hour takes the worst status seen in it, so the bar moves live between full payloads.
    function markUptime(c, t) {
      const slots = state.uptime.get(c.name);
      if (!slots || c.status === 'pending') return;
      let i = Math.floor((t * 1000 - state.uptimeFrom) / SLOT_MS);
      while (i >= slots.length) {
        for (const s of state.uptime.values()) {
          s.shift();
          s.push(null);
        }
        state.uptimeFrom += SLOT_MS;
        i--;
      }
      if (i < 0) return;
      const v = { pass: 0, warn: 1, fail: 2 }[c.status];
      if (slots[i] === null || v > slots[i]) {
        slots[i] = v;
        renderUptime(c.name);
      }
    }

    function renderRow(c) {
      let tr = state.rows.get(c.name);
      if (!tr) {
        const open = el('button', { type: 'button', class: 'open', 'aria-haspopup': 'dialog' });
        open.addEventListener('click', () => openDetail(c.name));
        tr = el(
          'tr',
          { 'data-check': c.name },
          el(
            'td',
            { class: 'status' },
            el('span', { class: 'icon', 'aria-hidden': 'true' }),
            el('span', { class: 'word' }),
          ),
          el('td', { class: 'name' }, open, el('span', { class: 'badges' })),
          el('td', { class: 'value' }),
          el('td', { class: 'since' }),
          el('td', { class: 'uptime-col' }, el('div', { class: 'uptime', role: 'img' })),
          el('td', { class: 'spark-col' }, el('div', { class: 'spark', 'aria-hidden': 'true' })),
          el('td', { class: 'detail' }),
        );
        $('#checks tbody').append(tr);
        state.rows.set(c.name, tr);
        chart(`row:${c.name}`, c.name, tr.querySelector('.spark'), 120, 28);
        if (!state.uptime.has(c.name) && state.uptimeFrom) state.uptime.set(c.name, new Array(48).fill(null));
        renderUptime(c.name);
      }
      tr._row = c;
      setStatus(tr.querySelector('td.status'), c.status, c.icon, c.word);
      tr.dataset.status = c.status;
      const open = tr.querySelector('button.open');
      open.textContent = c.name;
      open.title = `${c.name} — show its history`;
      tr.querySelector('.badges').replaceChildren(
        el('span', { class: 'badge', text: c.kind }),
        ...(c.critical ? [el('span', { class: 'badge', text: 'critical' })] : []),
      );
      tr.querySelector('td.value').textContent = c.value;
      const since = tr.querySelector('td.since');
      since.dataset.since = c.since;
      since.textContent = ago(c.since);
      since.title = c.since;
      const detail = tr.querySelector('td.detail');
      detail.textContent = c.output;
      detail.title = c.output;
    }

    // Problems first: failing, warning, pending, then ok; within a status dependencies, host, self, by name.
    function order() {
      const rows = [...state.rows.values()];
      const key = (tr) => tr._row;
      const sorted = rows.slice().sort((x, y) => {
        const a = key(x),
          b = key(y);
        return (
          RANK[a.status] - RANK[b.status] ||
          GROUP[a.group] - GROUP[b.group] ||
          (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
        );
      });
      const body = $('#checks tbody');
      if (sorted.some((tr, i) => body.children[i] !== tr)) body.append(...sorted);
    }

    function eventText(e) {
      return `${e.check}: ${e.type === 'breaker' ? 'circuit ' : ''}${e.from} → ${e.to} — ${e.reason}`;
    }
    function renderEvent(e, prepend) {
      const li = el(
        'li',
        { 'data-check': e.check },
        el('time', { datetime: e.time, text: clock(e.time) }),
        document.createTextNode(eventText(e)),
      );
      const list = $('#events');
      if (prepend) list.prepend(li);
      else list.append(li);
      while (list.children.length > 20) list.lastElementChild.remove();
      $('#events-section').hidden = list.children.length === 0;
    }

    // From the analysis' own start and end to the millisecond (its durationSeconds is whole seconds), so a
    // half-second outage does not read "0s"; an ongoing one grows with the view's clock.
    function span(i) {
      const end = i.ongoing ? Date.parse(state.view?.time || new Date().toISOString()) : Date.parse(i.end || '');
      return i.start && Number.isFinite(end) ? Math.max(0, (end - Date.parse(i.start)) / 1000) : i.durationSeconds;
    }
    // The analysis' incidents (the ones diagnose reports): its sentence, then start, end, duration, cause.
    function renderIncidents(list) {
      $('#incidents').replaceChildren(
        ...list.map((i) =>
          el(
            'li',
            { 'data-check': i.check, 'data-status': i.ongoing ? i.status : 'pass', class: 'incident' },
            el('p', { class: 'sentence', text: i.text }),
            el(
              'dl',
              {},
              el(
                'div',
                {},
                el('dt', { text: 'start' }),
                el(
                  'dd',
                  {},
                  i.start
                    ? el('time', { datetime: i.start, text: clock(i.start) })
                    : document.createTextNode('before the record'),
                ),
              ),
              el(
                'div',
                {},
                el('dt', { text: 'end' }),
                el(
                  'dd',
                  {},
                  i.ongoing ? el('strong', { text: 'ongoing' }) : el('time', { datetime: i.end, text: clock(i.end) }),
                ),
              ),
              el('div', {}, el('dt', { text: 'duration' }), el('dd', { text: duration(span(i)) })),
              el(
                'div',
                { class: 'cause-pair' },
                el('dt', { text: 'cause' }),
                el('dd', { class: 'cause', text: i.reason || '' }),
              ),
            ),
          ),
        ),
      );
      $('#no-incidents').hidden = list.length > 0;
    }

    function header(v) {
      document.title = `${v.icon} ${v.hostname} — mcp-vitals`;
      $('#host').textContent = v.hostname;
      setStatus($('#overall'), v.status, v.icon, v.word);
      const problems = state.view
        ? [...state.rows.values()].filter((tr) => tr._row.status === 'fail' || tr._row.status === 'warn').length
        : 0;
      $('#summary').textContent = problems
        ? `${problems + (problems === 1 ? ' check needs' : ' checks need')} attention`
        : '';
      $('#updated').textContent = `updated ${clock(v.time)}`;
    }

    function snapshot(data) {
      // A full payload replaces everything: the view never shows a row the daemon no longer has.
      for (const c of state.charts.values()) c.plot?.destroy();
      state.rows.clear();
      state.charts.clear();
      state.gauges.clear();
      state.series.clear();
      state.uptime.clear();
      $('#checks tbody').replaceChildren();
      $('#gauges').replaceChildren();
      $('#events').replaceChildren();
      state.uptimeFrom = data.uptimeFrom || 0;
      for (const [name, slots] of Object.entries(data.uptime || {})) state.uptime.set(name, slots.slice());
      for (const [name, points] of Object.entries(data.history || {})) for (const [t, v] of points) push(name, t, v);
      state.view = data.view;
      const t = Date.parse(data.view.time) / 1000;
      for (const g of data.view.gauges) {
        push(g.name, t, g.ratio);
        renderGauge(g);
      }
      for (const c of data.view.checks) {
        if (c.group === 'dependency') push(c.name, t, c.observedValue);
        renderRow(c);
        markUptime(c, t);
      }
      order();
      header(data.view);
      for (const e of data.events) renderEvent(e, false);
      $('#events-section').hidden = data.events.length === 0;
      renderIncidents(data.view.incidents || []);
    }

    // A later full payload (the MCP App hears one per update): rows, cards and charts are updated in place,
    // so the series keep growing between payloads as they do from deltas.
    function refresh(data) {
      if (!state.view) return snapshot(data);
      const t = Date.parse(data.view.time) / 1000;
      state.uptimeFrom = data.uptimeFrom || state.uptimeFrom;
      for (const [name, slots] of Object.entries(data.uptime || {})) state.uptime.set(name, slots.slice());
      for (const [name, points] of Object.entries(data.history || {}))
        for (const [pt, v] of points) if (pt < t) push(name, pt, v);
      const names = new Set(data.view.checks.map((c) => c.name));
      for (const [name, tr] of state.rows) {
        if (names.has(name)) continue;
        tr.remove();
        state.rows.delete(name);
      }
      delta({ ...data.view, checks: data.view.checks, removed: [], events: [] });
      for (const name of names) renderUptime(name);
      $('#events').replaceChildren();
      for (const e of data.events) renderEvent(e, false);
      $('#events-section').hidden = data.events.length === 0;
    }

    function delta(d) {
      const t = Date.parse(d.time) / 1000;
      for (const g of d.gauges) {
        push(g.name, t, g.ratio);
        renderGauge(g);
      }
      for (const c of d.checks) {
        if (c.group === 'dependency') push(c.name, t, c.observedValue);
        renderRow(c);
      }
      for (const tr of state.rows.values()) markUptime(tr._row, t);
      for (const name of d.removed) {
        state.rows.get(name)?.remove();
        state.rows.delete(name);
      }
      order();
      state.view = { ...state.view, time: d.time, status: d.status, word: d.word, icon: d.icon };
      header(state.view);
      for (const e of d.events.slice().reverse()) renderEvent(e, true);
      if (d.incidents) renderIncidents(d.incidents);
      // An open detail view follows its check, at most every 5 s (a host check's value changes every tick).
      if (state.detail && Date.now() - state.detail.at > 5000 && d.checks.some((c) => c.name === state.detail.name))
        loadDetail(state.detail.name, state.detail.range);
    }

    // The detail view: one check's history over 1 h / 24 h / 7 d, its thresholds as lines, its events.
    const dialog = $('#detail');
    function openDetail(name) {
      state.opener = document.activeElement;
      if (!dialog.open) dialog.showModal();
      loadDetail(name, state.detail?.name === name ? state.detail.range : '1h');
    }
    async function loadDetail(name, range) {
      state.detail = { name, range, at: Date.now() };
      $('#detail-title').textContent = name;
      for (const b of dialog.querySelectorAll('[data-range]'))
        b.setAttribute('aria-pressed', String(b.dataset.range === range));
      $('#detail-error').hidden = true;
      let d;
      try {
        d = await opts.loadDetail(name, range);
      } catch (e) {
        $('#detail-error').textContent = `could not load this check: ${e?.message ? e.message : e}`;
        $('#detail-error').hidden = false;
        return;
      }
      if (state.detail.name !== name || state.detail.range !== range) return;
      setStatus($('#detail-status'), d.row.status, d.row.icon, d.row.word);
      $('#detail-output').textContent = d.row.output || d.row.value;
      const th = d.thresholds;
      $('#detail-thresholds').textContent = th
        ? 'warning at ' +
          fmt(d.unit, th.warn) +
          ', failed at ' +
          fmt(d.unit, th.fail) +
          (th.forSeconds ? ` (held ${duration(th.forSeconds)})` : '')
        : 'no thresholds: judged by whether it answers';
      const box = $('#detail-chart');
      state.detailPlot?.destroy();
      state.detailPlot = null;
      box.replaceChildren();
      box.dataset.points = String(d.points.length);
      if (d.points.length < 2 || typeof uPlot === 'undefined') {
        box.textContent = 'not enough history in this range yet';
      } else {
        const xs = d.points.map((p) => p[0]);
        const data = [xs, d.points.map((p) => p[1])];
        const series = [
          {},
          {
            label: d.unit === 's' ? 'response time' : 'value',
            stroke: cssVar('--accent', '#0969da'),
            width: 1.5,
            points: { show: false },
            value: (_u, v) => fmt(d.unit, v),
          },
        ];
        if (th) {
          data.push(
            xs.map(() => th.warn),
            xs.map(() => th.fail),
          );
          series.push({
            label: 'warning',
            stroke: cssVar('--warn', '#9a6700'),
            dash: [6, 4],
            width: 1,
            points: { show: false },
            value: (_u, v) => fmt(d.unit, v),
          });
          series.push({
            label: 'failed',
            stroke: cssVar('--fail', '#cf222e'),
            dash: [6, 4],
            width: 1,
            points: { show: false },
            value: (_u, v) => fmt(d.unit, v),
          });
        }
        const axis = {
          stroke: cssVar('--muted', '#5b6470'),
          grid: { stroke: cssVar('--line', '#d8dde3'), width: 1 },
          ticks: { show: false },
        };
        state.detailPlot = new uPlot(
          {
            width: Math.max(240, Math.floor(box.getBoundingClientRect().width)),
            height: 200,
            scales: { x: { time: true } },
            cursor: { y: false },
            axes: [axis, { ...axis, size: 56, values: (_u, vals) => vals.map((v) => fmt(d.unit, v)) }],
            series,
          },
          data,
          box,
        );
      }
      $('#detail-events').replaceChildren(
        ...d.events.map((e) =>
          el(
            'li',
            {},
            el('time', { datetime: e.time, text: new Date(e.time).toLocaleString([], { hour12: false }) }),
            document.createTextNode(eventText(e)),
          ),
        ),
      );
      $('#detail-no-events').hidden = d.events.length > 0;
    }
    dialog.addEventListener('close', () => {
      state.detail = null;
      state.detailPlot?.destroy();
      state.detailPlot = null;
      if (state.opener?.focus) state.opener.focus();
    });
    for (const b of dialog.querySelectorAll('[data-range]'))
      b.addEventListener('click', () => state.detail && loadDetail(state.detail.name, b.dataset.range));
    $('#detail-close').addEventListener('click', () => dialog.close());

    setInterval(() => {
      for (const td of document.querySelectorAll('td.since'))
        if (td.dataset.since) td.textContent = ago(td.dataset.since);
    }, 10000);

    return { snapshot, delta, refresh, openDetail, connection: (text) => ($('#connection').textContent = text) };
  }

  window.VitalsView = { create };
})();
