// check-decks.js - opens every rendered deck in headless Chromium and checks what a viewer
// would see. Part of `make test` (through tests/checks/slides).
//
//   node slides/tools/check-decks.js BUILD_DIR       (run from the kit's root)
//
// For each BUILD_DIR/NN-name.html (a lesson's deck) and NN-name-after.html (its deck for
// after the lab) it checks that the deck renders with reveal.js (15 to 30 slides; an
// after-the-lab deck may have fewer), logs no console error or exception, shows every
// image, makes no request that leaves the file (everything is embedded), has speaker notes
// on every slide, fits every slide on the screen, shows code no smaller than a projector
// shows readably (MIN_CODE_PX at 1280x720, after reveal.js has scaled the slide), shows
// only C code that is in the solutions (an independent check of slides/tools/extract.awk),
// gives no TODO's answer away outside an after-the-lab deck, and ends with self-check
// questions. It saves screenshots of a few slides to BUILD_DIR/screenshots/ and prints the
// first deck as a PDF the way slides/README.md tells instructors to. Then it checks
// index.html and its links.
//
// Writes one result row per check (tests/rows.sh's format) to the file ROWS names, and
// prints the same as "  PASS  what" or "  FAIL  what" with its hint for a reader of the log.
// Exits 0 if every check passed. Chromium is driven over the DevTools protocol through a
// pipe (--remote-debugging-pipe): no port, no extra npm package, works with Node 18+.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WIDTH = 1280;
const HEIGHT = 720;
const MIN_SLIDES = 15;
const MAX_SLIDES = 30;
// An after-the-lab deck walks through one lesson's TODOs: it may be shorter.
const MIN_SLIDES_AFTER = 6;
// The smallest code text (in CSS pixels of a 1280x720 screen) a slide may show: about what
// a projector in a classroom still shows readably from the back.
const MIN_CODE_PX = 16;
// The line that stands for elided code in an extracted region, "/* ... */" or
// "/* ... what was left out */" (slides/tools/extract.awk).
const ELISION = /^ *\/\* \.\.\.( [^*]*)? \*\/$/;
const LOAD_TIMEOUT_MS = 20000;
// Languages a deck may show without a source file: commands and their output, data.
const FREE_LANGUAGES = new Set(['sh', 'bash', 'console', 'text', 'json']);

const buildDir = (process.argv[2] === '--pdf' ? process.argv[3] : process.argv[2]) || 'build/slides';
const shotDir = path.join(buildDir, 'screenshots');
let failures = 0;
let checks = 0;

// row(status, what, hint): one result row (tests/rows.sh: \, tab and newline escaped).
function row(status, what, hint) {
    if (!process.env.ROWS)
        return;
    const field = (s) => String(s).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
    checks++;
    fs.appendFileSync(process.env.ROWS,
        ['slides', `browser${checks}`, status, '0', what, hint, ''].map(field).join('\t') + '\n');
}

function pass(what) {
    console.log(`  PASS  ${what}`);
    row('pass', what, '');
}

function fail(what, hint, details = []) {
    failures++;
    console.log(`  FAIL  ${what}`);
    console.log(`        hint: ${hint}`);
    const shown = details.slice(0, 8).map((d) => String(d).slice(0, 220));
    if (details.length > 8)
        shown.push(`... and ${details.length - 8} more`);
    for (const d of shown)
        console.log(`        | ${d}`);
    row('fail', what, [hint, ...shown].join('\n'));
}

function check(ok, what, hint, details) {
    if (ok)
        pass(what);
    else
        fail(what, hint, details);
}

// A DevTools protocol client over Chromium's pipe: fd 3 to the browser, fd 4 from it,
// messages are JSON texts ended by a NUL byte.
class Browser {
    constructor() {
        this.profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kit-slides-chromium-'));
        const args = [
            '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync',
            '--disable-default-apps', '--disable-extensions', '--mute-audio',
            '--hide-scrollbars', '--allow-file-access-from-files',
            // Anything that still tries a host name gets "not found" instead of the network;
            // the request itself is still reported to us and fails the check.
            '--host-resolver-rules=MAP * ~NOTFOUND',
            `--user-data-dir=${this.profile}`, '--remote-debugging-pipe',
            `--window-size=${WIDTH},${HEIGHT}`, 'about:blank',
        ];
        this.proc = spawn(CHROMIUM, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
        this.stderr = '';
        this.proc.stdio[2].on('data', (d) => { this.stderr = (this.stderr + d).slice(-4000); });
        this.proc.on('error', (e) => { this.dead = e; });
        this.proc.on('exit', (code) => {
            this.dead = this.dead || new Error(`chromium exited (${code})`);
            for (const [, p] of this.pending)
                p.reject(this.dead);
            this.pending.clear();
        });
        this.nextId = 0;
        this.pending = new Map();
        this.listeners = [];
        let buf = '';
        this.proc.stdio[4].on('data', (d) => {
            buf += d.toString('utf8');
            let end;
            while ((end = buf.indexOf('\0')) >= 0) {
                const msg = JSON.parse(buf.slice(0, end));
                buf = buf.slice(end + 1);
                if (msg.id !== undefined && this.pending.has(msg.id)) {
                    const p = this.pending.get(msg.id);
                    this.pending.delete(msg.id);
                    if (msg.error)
                        p.reject(new Error(`${p.method}: ${msg.error.message}`));
                    else
                        p.resolve(msg.result);
                } else if (msg.method) {
                    for (const l of this.listeners)
                        l(msg);
                }
            }
        });
    }

    send(method, params = {}, sessionId = undefined) {
        if (this.dead)
            return Promise.reject(this.dead);
        const id = ++this.nextId;
        return new Promise((resolve, reject) => {
            this.pending.set(id, { resolve, reject, method });
            this.proc.stdio[3].write(JSON.stringify({ id, method, params, sessionId }) + '\0');
        });
    }

    // Opens a new tab; returns { session, events } with every event of that tab recorded.
    async open() {
        const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
        const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
        const events = [];
        this.listeners.push((m) => { if (m.sessionId === sessionId) events.push(m); });
        const tab = {
            targetId, events,
            send: (method, params) => this.send(method, params, sessionId),
            close: () => this.send('Target.closeTarget', { targetId }),
        };
        await tab.send('Runtime.enable');
        await tab.send('Log.enable');
        await tab.send('Network.enable');
        await tab.send('Page.enable');
        await tab.send('Emulation.setDeviceMetricsOverride',
            { width: WIDTH, height: HEIGHT, deviceScaleFactor: 1, mobile: false });
        return tab;
    }

    async close() {
        const exited = new Promise((r) => {
            if (this.proc.exitCode !== null || this.proc.signalCode !== null)
                r();
            else
                this.proc.once('exit', r);
        });
        try {
            await Promise.race([this.send('Browser.close'), sleep(3000)]);
        } catch (e) {
            // already gone
        }
        await Promise.race([exited, sleep(5000)]);
        this.proc.kill('SIGKILL');
        await Promise.race([exited, sleep(2000)]);
        // The browser's helpers may still be writing their profile for a moment.
        try {
            fs.rmSync(this.profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
        } catch (e) {
            console.error(`check-decks: could not remove ${this.profile}: ${e.message}`);
        }
    }
}

function sleep(ms) {
    return new Promise((r) => setTimeout(r, ms));
}

async function evaluate(tab, expression) {
    const r = await tab.send('Runtime.evaluate',
        { expression, returnByValue: true, awaitPromise: true });
    if (r.exceptionDetails)
        throw new Error(`in page: ${r.exceptionDetails.exception?.description || r.exceptionDetails.text}`);
    return r.result.value;
}

// Polls cond (a page expression) until it is true; returns false after timeoutMs.
async function waitFor(tab, cond, timeoutMs) {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
        try {
            if (await evaluate(tab, cond))
                return true;
        } catch (e) {
            // the page is still loading
        }
        await sleep(100);
    }
    return false;
}

// Navigates and waits for the load event (bounded).
async function load(tab, url) {
    const start = tab.events.length;
    await tab.send('Page.navigate', { url });
    const end = Date.now() + LOAD_TIMEOUT_MS;
    while (Date.now() < end) {
        if (tab.events.slice(start).some((e) => e.method === 'Page.loadEventFired'))
            return true;
        await sleep(50);
    }
    return false;
}

// What went wrong in the page: console errors, exceptions, failed loads, outside requests.
function problems(events, ownUrl) {
    const errors = [];
    const outside = [];
    const failed = [];
    for (const e of events) {
        const p = e.params || {};
        if (e.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'assert'))
            errors.push(`console.${p.type}: ${(p.args || []).map((a) => a.value ?? a.description).join(' ')}`);
        else if (e.method === 'Runtime.exceptionThrown')
            errors.push(`exception: ${p.exceptionDetails?.exception?.description || p.exceptionDetails?.text}`);
        else if (e.method === 'Log.entryAdded' && p.entry && p.entry.level === 'error')
            errors.push(`${p.entry.source}: ${p.entry.text} ${p.entry.url || ''}`.trim());
        else if (e.method === 'Network.requestWillBeSent') {
            const url = p.request.url;
            if (!(url.startsWith('data:') || url.startsWith('about:') || url.startsWith('blob:') ||
                  url.split('#')[0].split('?')[0] === ownUrl))
                outside.push(url.slice(0, 160));
        } else if (e.method === 'Network.loadingFailed') {
            failed.push(`${p.errorText}${p.blockedReason ? ' (' + p.blockedReason + ')' : ''}`);
        }
    }
    return { errors, outside, failed };
}

// ---- the code check: an independent reading of the exercise markers ----

// The lines of a source file without the exercise markers (the @step comment, the
// @stub ... @end block, "/* @end */"), runs of blank lines made one: what a slide may show.
// Each is { text, step }: step is the exercise step whose solution the line is, or null.
function sourceLines(file) {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    if (lines.length && lines[lines.length - 1] === '')
        lines.pop();
    const kept = [];
    let state = 'copy';
    let step = null;
    for (const l of lines) {
        if (state === 'copy' && /^[ \t]*\/\* @step \d+ /.test(l)) {
            step = l.match(/@step (\d+)/)[1];
            state = /\*\/[ \t]*$/.test(l) ? 'solution' : 'comment';
        } else if (state === 'comment') {
            if (/\*\/[ \t]*$/.test(l))
                state = 'solution';
        } else if (state === 'solution' && /^[ \t]*\/\* @stub[ \t]*$/.test(l)) {
            state = 'stub';
        } else if (state === 'solution' && /^[ \t]*\/\* @end \*\/[ \t]*$/.test(l)) {
            state = 'copy';
        } else if (state === 'stub') {
            if (/^[ \t]*@end \*\/[ \t]*$/.test(l))
                state = 'copy';
        } else {
            if (l.trim() === '' && kept.length && kept[kept.length - 1].text.trim() === '')
                continue;
            kept.push({ text: l, step: state === 'solution' ? step : null });
        }
    }
    return kept;
}

const indentOf = (l) => l.match(/^ */)[0].length;

// Where block (lines) occurs in source as a contiguous run, shifted left by a common
// indent: the start of every match at or after index `from`. Also the block's line that
// matched least far, for a failure message.
function matchesOf(block, source, from) {
    const starts = [];
    let best = { k: -1, line: block[0] };
    const bind = Math.min(...block.filter((l) => l.trim() !== '').map(indentOf));
    for (let i = from; i + block.length <= source.length; i++) {
        const win = source.slice(i, i + block.length).map((x) => x.text);
        const ind = Math.min(...win.filter((l) => l.trim() !== '').map(indentOf));
        let k = 0;
        while (k < block.length && (win[k].trim() === '' ? '' : win[k].slice(ind)) ===
               (block[k].trim() === '' ? '' : block[k].slice(bind)))
            k++;
        if (k === block.length)
            starts.push(i);
        else if (k > best.k)
            best = { k, line: `line ${k + 1}: ${JSON.stringify(block[k])}` };
    }
    return { starts, best: best.line };
}

// Whether a shown block (with "/* ... */" lines where code was elided) is the source's code:
// its pieces between elisions each a contiguous run of the source, in order. Returns
// { miss } naming the first line that is not, or { steps } listing the exercise steps whose
// solution lines it shows (for the matching that shows the fewest).
function locate(lines, source) {
    const pieces = [[]];
    for (const l of lines) {
        if (ELISION.test(l))
            pieces.push([]);
        else
            pieces[pieces.length - 1].push(l);
    }
    // Every way the pieces can match in order; keep the one giving away the fewest steps.
    let ways = [{ at: 0, steps: new Set() }];
    for (const piece of pieces.filter((p) => p.some((l) => l.trim() !== ''))) {
        const next = [];
        let best = null;
        for (const w of ways) {
            const m = matchesOf(piece, source, w.at);
            best = best || m.best;
            for (const i of m.starts) {
                const steps = new Set(w.steps);
                source.slice(i, i + piece.length).forEach((x) => x.step && steps.add(x.step));
                next.push({ at: i + piece.length, steps });
            }
        }
        if (next.length === 0)
            return { miss: best };
        next.sort((a, b) => a.steps.size - b.steps.size);
        ways = next.slice(0, 50);
    }
    return { steps: [...ways[0].steps].sort((a, b) => a - b) };
}

function checkCode(blocks, afterDeck) {
    const bad = [];
    const answers = [];
    let fromSource = 0;
    for (const b of blocks) {
        const where = `slide ${b.slide + 1}`;
        if (!b.src) {
            if (b.lang && FREE_LANGUAGES.has(b.lang))
                continue;
            bad.push(`${where}: a ${b.lang || 'plain'} code block typed into the deck: "${b.text.split('\n')[0]}"`);
            continue;
        }
        fromSource++;
        if (!/^(solutions|common)\/[\w./-]+$/.test(b.src) || !fs.existsSync(b.src)) {
            bad.push(`${where}: source ${b.src} does not exist`);
            continue;
        }
        const lines = b.text.replace(/\n$/, '').split('\n');
        const r = locate(lines, sourceLines(b.src));
        if (r.miss)
            bad.push(`${where}: the code of ${b.src} (${b.region}) differs from the file at ${r.miss}`);
        else if (r.steps.length > 0 && !afterDeck)
            answers.push(`${where}: ${b.src} (${b.region}) shows the answer to TODO ${r.steps.join(', ')}`);
        else if (r.steps.length > 0 && !b.afterBadge)
            answers.push(`${where}: ${b.src} (${b.region}) answers TODO ${r.steps.join(', ')} without the "after the lab" mark`);
    }
    return { bad, answers, fromSource };
}

// ---- one deck ----

// Runs in the page: every slide's facts, measured one slide at a time.
const SURVEY = `(async () => {
    const slides = Reveal.getSlides();
    const cfg = Reveal.getConfig();
    const out = { total: Reveal.getTotalSlides(), slides: [], blocks: [], images: [] };
    // reveal.js scales the 1280x720 slide to the window (a CSS transform below 1): what the
    // screen shows is the computed font size times that scale.
    const scale = Reveal.getScale();
    out.scale = scale;
    for (const [i, s] of slides.entries()) {
        const idx = Reveal.getIndices(s);
        Reveal.slide(idx.h, idx.v);
        // An image on a slide that was hidden decodes only now: wait for it (bounded).
        await Promise.race([
            Promise.all([...s.querySelectorAll('img')].map((im) => im.decode().catch(() => {}))),
            new Promise((r) => setTimeout(r, 3000))]);
        await new Promise((r) => requestAnimationFrame(() => r()));
        const title = (s.querySelector('h1, h2, h3')?.textContent || '').trim();
        const notes = (s.querySelector('aside.notes')?.textContent || '').trim();
        const over = [];
        if (s.scrollHeight > cfg.height + 2)
            over.push('content is ' + s.scrollHeight + 'px tall, the slide ' + cfg.height + 'px');
        s.querySelectorAll('pre').forEach((p) => {
            if (p.scrollWidth > p.clientWidth + 1 || p.firstElementChild && p.firstElementChild.scrollWidth > p.firstElementChild.clientWidth + 1)
                over.push('a code line is too wide');
        });
        s.querySelectorAll('img').forEach((im) => {
            const r = im.getBoundingClientRect();
            out.images.push({ slide: i, src: (im.getAttribute('src') || '').slice(0, 40),
                ok: im.complete && im.naturalWidth > 0, embedded: (im.getAttribute('src') || '').startsWith('data:'),
                visible: r.width > 50 && r.height > 50 });
        });
        s.querySelectorAll('pre > code').forEach((c) => {
            const box = c.closest('div.sourceCode') || c.parentElement;
            const cls = (c.className + ' ' + c.parentElement.className).split(/\\s+/);
            const lang = cls.find((k) => k && !['sourceCode', 'from-source', 'short'].includes(k)) || '';
            const caption = box.previousElementSibling;
            out.blocks.push({ slide: i, src: box.getAttribute('data-file') || c.parentElement.getAttribute('data-file'),
                region: box.getAttribute('data-region') || c.parentElement.getAttribute('data-region'),
                afterBadge: !!(caption && caption.classList.contains('code-src') && caption.querySelector('.after-lab')),
                lang, text: c.textContent });
        });
        // The smallest code text on the slide, as shown: every text in a pre or code element.
        let code = null;
        const walk = document.createTreeWalker(s, NodeFilter.SHOW_TEXT);
        for (let t = walk.nextNode(); t; t = walk.nextNode()) {
            const el = t.parentElement;
            if (!t.textContent.trim() || !el.closest('pre, code') || el.closest('aside.notes'))
                continue;
            if (el.getClientRects().length === 0)
                continue; // not displayed
            const px = parseFloat(getComputedStyle(el).fontSize) * scale;
            if (code === null || px < code.px)
                code = { px, text: t.textContent.trim().slice(0, 40) };
        }
        out.slides.push({ i, title, notes: notes.length, over, code,
            hasImage: !!s.querySelector('img'), hasCode: !!s.querySelector('pre code'),
            title_slide: s.classList.contains('title-slide') || s.id === 'title-slide' });
    }
    Reveal.slide(0, 0);
    return out;
})()`;

async function checkDeck(browser, file) {
    const name = path.basename(file, '.html');
    const afterDeck = name.endsWith('-after');
    const url = 'file://' + path.resolve(file);
    const tab = await browser.open();
    try {
        const loaded = await load(tab, url);
        const ready = loaded && await waitFor(tab, 'typeof Reveal !== "undefined" && Reveal.isReady()', LOAD_TIMEOUT_MS);
        if (!ready) {
            fail(`${name}: renders with reveal.js`, 'the page did not load or reveal.js did not start: open the file in a browser and look at the console');
            return;
        }
        const s = await evaluate(tab, SURVEY);
        const min = afterDeck ? MIN_SLIDES_AFTER : MIN_SLIDES;
        check(s.total >= min && s.total <= MAX_SLIDES,
            `${name}: renders with reveal.js (${s.total} slides)`,
            `a deck has ${min} to ${MAX_SLIDES} slides: split or merge slides in slides/${name}.md`);

        // Screenshots: the title, the first diagram, the first code slide, the last slide.
        // (SLIDES_SHOTS=all in the environment: every slide, for a full review.)
        const picks = process.env.SLIDES_SHOTS === 'all' ? s.slides.map((x) => x.i)
            : [0, s.slides.findIndex((x) => x.hasImage), s.slides.findIndex((x) => x.hasCode), s.slides.length - 1]
                .filter((v, k, a) => v >= 0 && a.indexOf(v) === k);
        fs.mkdirSync(shotDir, { recursive: true });
        for (const i of picks) {
            await evaluate(tab, `(() => { const ix = Reveal.getIndices(Reveal.getSlides()[${i}]); Reveal.slide(ix.h, ix.v); return true; })()`);
            await sleep(150);
            const shot = await tab.send('Page.captureScreenshot', { format: 'png' });
            fs.writeFileSync(path.join(shotDir, `${name}-${String(i + 1).padStart(2, '0')}.png`), Buffer.from(shot.data, 'base64'));
        }

        const p = problems(tab.events, url);
        check(p.errors.length === 0, `${name}: no console errors`,
            'the page logged errors: a broken plugin, a bad reveal.js version, or a script pandoc could not embed', p.errors);
        const badImages = s.images.filter((im) => !im.ok || !im.embedded || !im.visible);
        check(badImages.length === 0 && p.failed.length === 0 && s.images.length > 0,
            `${name}: every image shows (${s.images.length} diagrams)`,
            s.images.length === 0 ? 'a deck explains with pictures: add a diagram from slides/diagrams/'
                : 'an image is missing, not embedded or empty: is its .dot file in slides/diagrams/ and its name right?',
            badImages.map((im) => `slide ${im.slide + 1}: ${im.src}: ${!im.embedded ? 'not embedded' : !im.ok ? 'does not load' : 'shows too small'}`).concat(p.failed));
        check(p.outside.length === 0, `${name}: no request leaves the file (works offline)`,
            'something is loaded from outside the deck (a CDN font, theme or script): everything must be embedded',
            p.outside);
        const noNotes = s.slides.filter((x) => !x.title_slide && x.notes < 40);
        check(noNotes.length === 0, `${name}: speaker notes on every slide`,
            'add a "::: notes" block to these slides for the presenter',
            noNotes.map((x) => `slide ${x.i + 1}: ${x.title}`));
        const over = s.slides.filter((x) => x.over.length > 0);
        check(over.length === 0, `${name}: every slide fits the screen`,
            'shorten these slides (or show a smaller code region)',
            over.map((x) => `slide ${x.i + 1} "${x.title}": ${x.over.join(', ')}`));
        const withCode = s.slides.filter((x) => x.code !== null);
        const small = withCode.filter((x) => x.code.px < MIN_CODE_PX - 0.05);
        const smallest = withCode.reduce((m, x) => (m === null || x.code.px < m.code.px ? x : m), null);
        const px = (v) => `${v.toFixed(1)} px`;
        check(small.length === 0,
            `${name}: code is readable at ${WIDTH}x${HEIGHT}: ` + (smallest === null ? 'no code'
                : `smallest ${px(smallest.code.px)} on slide ${smallest.i + 1} (floor ${MIN_CODE_PX} px)`),
            `code on a slide is at least ${MIN_CODE_PX} px as shown (slide scale ${s.scale.toFixed(3)}): ` +
            'cut a long region with from/to, elide what is not the point, and keep kit.css\'s code size',
            small.map((x) => `slide ${x.i + 1} "${x.title}": ${px(x.code.px)} ("${x.code.text}")`));
        const code = checkCode(s.blocks, afterDeck);
        check(code.bad.length === 0, `${name}: code on the slides is the solutions' code (${code.fromSource} blocks)`,
            'show code with <!-- code: FILE REGION --> so it is extracted from the solutions, and rebuild',
            code.bad);
        check(code.answers.length === 0,
            afterDeck ? `${name}: every TODO answer is marked "after the lab"`
                : `${name}: gives no TODO's answer away (shown before the lab)`,
            afterDeck ? 'slides/tools/expand.sh marks the caption of code that answers a TODO: rebuild with make slides'
                : `code that answers a TODO belongs in slides/${name}-after.md, the deck for after the lab`,
            code.answers);
        const last = s.slides[s.slides.length - 1];
        check(/check yourself|self-check/i.test(last.title),
            `${name}: ends with self-check questions`,
            'the last slide of a deck is "Check yourself" with a few questions', [`last slide: ${last.title}`]);

        if (name === path.basename(firstDeck, '.html'))
            await checkPrint(browser, url, name);
    } finally {
        await tab.close().catch(() => {});
    }
}

// Prints a deck the way slides/README.md describes (?print-pdf, backgrounds on) to pdfFile.
// Returns { pages, slides }, or null if reveal.js's print layout did not come up.
async function printDeck(browser, url, pdfFile, query = '') {
    const tab = await browser.open();
    try {
        const ok = await load(tab, `${url}?print-pdf${query}`) &&
            await waitFor(tab, 'typeof Reveal !== "undefined" && Reveal.isReady() && document.querySelectorAll(".pdf-page").length > 0', LOAD_TIMEOUT_MS);
        if (!ok)
            return null;
        // Images on the print pages decode asynchronously: wait for them (bounded).
        await evaluate(tab, `Promise.race([Promise.all([...document.images].map((im) => im.decode().catch(() => {}))),
            new Promise((r) => setTimeout(r, 5000))]).then(() => true)`);
        const pdf = await tab.send('Page.printToPDF', { printBackground: true, preferCSSPageSize: true });
        const bytes = Buffer.from(pdf.data, 'base64');
        fs.writeFileSync(pdfFile, bytes);
        return {
            pages: (bytes.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length,
            slides: await evaluate(tab, 'Reveal.getTotalSlides()'),
        };
    } finally {
        await tab.close().catch(() => {});
    }
}

async function checkPrint(browser, url, name) {
    const r = await printDeck(browser, url, path.join(buildDir, `${name}.pdf`));
    check(r !== null && r.pages >= r.slides, `${name}: prints to PDF with ?print-pdf (${r ? r.pages : 0} pages)`,
        'reveal.js print layout did not come up: check the reveal.js version and slides/README.md',
        [r ? `pages: ${r.pages}, slides: ${r.slides}` : 'no .pdf-page after loading with ?print-pdf']);
}

async function checkIndex(browser, decks) {
    const file = path.join(buildDir, 'index.html');
    if (!fs.existsSync(file)) {
        fail('index.html exists', 'make slides writes build/slides/index.html: see slides/slides.mk');
        return;
    }
    const url = 'file://' + path.resolve(file);
    const tab = await browser.open();
    try {
        await load(tab, url);
        const links = await evaluate(tab, '[...document.querySelectorAll("a[href]")].map((a) => a.getAttribute("href"))');
        const missing = decks.map((d) => path.basename(d)).filter((d) => !links.includes(d));
        const dead = links.filter((h) => !/^[a-z]+:/.test(h) && !h.startsWith('#') && !fs.existsSync(path.join(buildDir, h)));
        const shot = await tab.send('Page.captureScreenshot', { format: 'png' });
        fs.mkdirSync(shotDir, { recursive: true });
        fs.writeFileSync(path.join(shotDir, 'index.png'), Buffer.from(shot.data, 'base64'));
        const p = problems(tab.events, url);
        check(missing.length === 0 && dead.length === 0 && p.errors.length === 0 && p.outside.length === 0,
            `index.html links every deck (${links.length} links)`,
            'the index is made by slides/tools/index.sh from the decks slides.mk knows',
            missing.map((d) => `not linked: ${d}`).concat(dead.map((d) => `dead link: ${d}`), p.errors, p.outside));
    } finally {
        await tab.close().catch(() => {});
    }
}

// node check-decks.js --pdf BUILD_DIR [QUERY]: only print every deck to BUILD_DIR/NN-name.pdf
// (make slides-pdf); QUERY such as "&showNotes=true" is added to the address.
const pdfMode = process.argv[2] === '--pdf';
if (pdfMode)
    process.argv.splice(2, 1);
const decks = fs.existsSync(buildDir)
    ? fs.readdirSync(buildDir).filter((f) => /^\d\d-.*\.html$/.test(f)).sort().map((f) => path.join(buildDir, f))
    : [];
const firstDeck = decks[0] || '';

(async () => {
    if (decks.length === 0) {
        fail('decks were built', `no NN-name.html in ${buildDir}: run make slides`);
        process.exit(1);
    }
    if (!fs.existsSync(CHROMIUM)) {
        fail('Chromium is installed', `no ${CHROMIUM}: tests/tools/deps slides installs Debian's chromium`);
        process.exit(1);
    }
    const browser = new Browser();
    // A bound that stops a hung Chromium, generous for a busy machine: not a speed test.
    const watchdog = setTimeout(() => {
        fail('the browser check finished in time', 'Chromium hung: run the check again, or look at its stderr', browser.stderr.split('\n'));
        browser.proc.kill('SIGKILL');
        process.exit(1);
    }, 60000 * (decks.length + 1));
    try {
        await browser.send('Browser.getVersion');
        if (pdfMode) {
            for (const d of decks) {
                const out = d.replace(/\.html$/, '.pdf');
                const r = await printDeck(browser, 'file://' + path.resolve(d), out, process.argv[3] || '');
                check(r !== null, `${out}: ${r ? r.pages : 0} pages`, 'reveal.js print layout did not come up');
            }
            process.exitCode = failures === 0 ? 0 : 1;
            return;
        }
        for (const d of decks)
            await checkDeck(browser, d);
        await checkIndex(browser, decks);
    } catch (e) {
        fail('the browser check ran', `it stopped: ${e.message}`, browser.stderr.split('\n').filter(Boolean).slice(-5));
    } finally {
        clearTimeout(watchdog);
        await browser.close();
    }
    process.exit(failures === 0 ? 0 : 1);
})();
