/**
 * The landing page's text box (#17): paste an article, see the drafts with
 * their quotes highlighted in the text, keep the right ones and post them
 * with an API key. The page's one script, served from this origin at
 * DRAFTS_SCRIPT_URL (the page's Content-Security-Policy allows no other):
 * it calls POST /drafts and POST /claims/bulk as any client would, and
 * writes the page with textContent only, never markup from the answers.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'

export const DRAFTS_SCRIPT_URL = '/assets/drafts.js'

/** The section of the landing page: a form that works with the script below. */
export function draftsSection(): string {
  return `<section class="drafts" aria-labelledby="drafts-title">
<h2 id="drafts-title">Draft claims from an article</h2>
<p>Paste an article: Reckon drafts the claims it holds, each with its quote highlighted in the text and what it had to guess. Keep the right ones and post them with an API key. Nothing is written until you post.</p>
<form id="draft-form">
<label for="draft-text">Article text</label>
<textarea id="draft-text" name="text" rows="8" required></textarea>
<div class="fields">
<label>Published on <input type="date" name="published_at" required></label>
<label>Publisher <input name="publisher_id" placeholder="source id or alias"></label>
<label>Event <input name="event_id" placeholder="event id"></label>
</div>
<button type="submit">Draft claims</button>
</form>
<div id="draft-result" aria-live="polite"></div>
<noscript><p>Drafting here needs JavaScript; <code>POST /drafts</code> in the API does the same.</p></noscript>
</section>
<script src="${DRAFTS_SCRIPT_URL}" defer></script>`
}

export const DRAFTS_STYLE = `
.drafts { background: #fff; border: 1px solid #e0e0e0; border-radius: 6px; padding: 20px; margin: 0 0 32px; }
.drafts textarea { display: block; width: 100%; box-sizing: border-box; font: inherit; margin: 4px 0 12px; }
.drafts .fields { display: flex; flex-wrap: wrap; gap: 12px; margin: 0 0 12px; }
.drafts input { font: inherit; }
.drafts button { font: inherit; padding: 4px 16px; }
.draft-text { white-space: pre-wrap; border-left: 3px solid #e0e0e0; padding-left: 12px; margin: 16px 0; }
.draft-text mark { background: #fdf3dc; border-bottom: 2px solid #e69f00; }
.draft-list { list-style: none; padding: 0; }
.draft-list li { border: 1px solid #e0e0e0; border-radius: 6px; padding: 8px 12px; margin: 0 0 8px; }
.draft-list .guess { color: #8f3600; font-size: 0.875rem; }
.draft-status { font-weight: 600; }
`

/** Plain ES2017 for any current browser; no template literals (this file holds it in one). */
const SCRIPT = String.raw`(function () {
  'use strict';
  var form = document.getElementById('draft-form');
  var result = document.getElementById('draft-result');
  if (!form || !result) return;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function status(text) {
    var node = el('p', 'draft-status', text);
    node.setAttribute('role', 'status');
    return node;
  }
  function problemText(problem) {
    var lines = [problem.detail || problem.title || 'The request failed.'];
    (problem.errors || []).forEach(function (e) { lines.push(e.path + ': ' + e.message); });
    return lines.join(' ');
  }
  function describe(claim) {
    var who = (claim.source_id || '(no known speaker)') + (claim.via.length ? ' via ' + claim.via.join(', ') : '');
    if (claim.kind === 'figure') {
      var number = claim.qualifier === 'range' ? claim.low + '–' + claim.high : claim.value === undefined ? '' : String(claim.value);
      return who + ': ' + claim.metric + ' (' + claim.population + (claim.party ? ', ' + claim.party : '') + '), ' + claim.qualifier.replace('_', ' ') + (number ? ' ' + number : '') + ', ' + claim.stated_at;
    }
    return who + ': ' + claim.stance + ' ' + claim.actor_ids.join(' or ') + (claim.certainty === 'suspected' ? ' (suspected)' : '') + ', ' + claim.stated_at;
  }

  function render(text, answer) {
    result.textContent = '';
    var drafts = answer.drafts;
    result.appendChild(status(drafts.length + (drafts.length === 1 ? ' draft' : ' drafts') + '. Keep the right ones, then post them.'));
    // The text, each draft's quote marked.
    var spans = drafts.map(function (d, i) { return { start: d.span.start, end: d.span.end, i: i }; })
      .sort(function (a, b) { return a.start - b.start || b.end - a.end; });
    var shown = el('div', 'draft-text');
    var at = 0;
    spans.forEach(function (s) {
      if (s.start < at) return;
      shown.appendChild(document.createTextNode(text.slice(at, s.start)));
      var mark = el('mark', '', text.slice(s.start, s.end));
      mark.id = 'quote-' + s.i;
      shown.appendChild(mark);
      at = s.end;
    });
    shown.appendChild(document.createTextNode(text.slice(at)));
    result.appendChild(shown);

    var list = el('ol', 'draft-list');
    drafts.forEach(function (d, i) {
      var item = el('li');
      var box = el('input');
      box.type = 'checkbox';
      box.id = 'draft-' + i;
      box.checked = d.missing.length === 0;
      box.disabled = d.missing.indexOf('source_id') !== -1;
      var label = el('label', '', ' ' + describe(d.claim) + ' — confidence ' + d.confidence.level);
      label.htmlFor = box.id;
      item.appendChild(box);
      item.appendChild(label);
      item.appendChild(el('blockquote', '', d.claim.quote));
      d.guesses.forEach(function (g) { item.appendChild(el('p', 'guess', 'Guessed ' + g.field + ': ' + g.reason)); });
      if (d.missing.length) item.appendChild(el('p', 'guess', 'Missing: ' + d.missing.join(', ')));
      list.appendChild(item);
    });
    result.appendChild(list);
    if (answer.unresolved.length) {
      result.appendChild(el('p', '', 'Names Reckon does not know: ' + answer.unresolved.map(function (u) { return u.text + ' (' + u.kind + ')'; }).join(', ') + '.'));
    }

    var post = el('form');
    post.id = 'post-form';
    var keyLabel = el('label', '', 'API key ');
    var key = el('input');
    key.type = 'password';
    key.name = 'key';
    key.autocomplete = 'off';
    keyLabel.appendChild(key);
    post.appendChild(keyLabel);
    post.appendChild(document.createTextNode(' '));
    post.appendChild(el('button', '', 'Post the kept claims'));
    var outcome = el('div');
    outcome.setAttribute('aria-live', 'polite');
    post.addEventListener('submit', function (event) {
      event.preventDefault();
      var kept = drafts.filter(function (d, i) { return document.getElementById('draft-' + i).checked; }).map(function (d) { return d.claim; });
      if (!kept.length) { outcome.textContent = ''; outcome.appendChild(status('Keep at least one draft.')); return; }
      var headers = { 'content-type': 'application/json' };
      if (key.value) headers.authorization = 'Bearer ' + key.value;
      fetch('/claims/bulk', { method: 'POST', headers: headers, body: JSON.stringify(kept) })
        .then(function (res) { return res.json().then(function (body) { return { ok: res.ok, body: body }; }); })
        .then(function (r) {
          outcome.textContent = '';
          outcome.appendChild(status(r.ok ? 'Posted ' + r.body.inserted + (r.body.inserted === 1 ? ' claim.' : ' claims.') : 'Not posted: ' + problemText(r.body)));
        }, function () { outcome.textContent = ''; outcome.appendChild(status('Not posted: the server could not be reached.')); });
    });
    result.appendChild(post);
    result.appendChild(outcome);
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = form.elements.text.value;
    var body = { text: text, published_at: form.elements.published_at.value };
    ['publisher_id', 'event_id'].forEach(function (name) {
      var value = form.elements[name].value.trim();
      if (value) body[name] = value;
    });
    result.textContent = '';
    result.appendChild(status('Drafting…'));
    fetch('/drafts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (res) { return res.json().then(function (answer) { return { ok: res.ok, answer: answer }; }); })
      .then(function (r) {
        if (r.ok) render(text, r.answer);
        else { result.textContent = ''; result.appendChild(status('No drafts: ' + problemText(r.answer))); }
      }, function () { result.textContent = ''; result.appendChild(status('No drafts: the server could not be reached.')); });
  });
})();
`

export const draftsScriptRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(DRAFTS_SCRIPT_URL, { config: { public: true }, schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(SCRIPT),
  )
}
