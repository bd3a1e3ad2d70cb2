/**
 * The `tacet view` page: loads the session and the level arrays from the server, then recomputes
 * the edit in the page with src/edit (through src/view/model.ts) on every control change. The
 * regions and the command line are also written into the DOM as data attributes
 * (`#timeline[data-chunks]`, `#cmdline[data-argv]`) so tests and scripts can read exactly what is
 * drawn.
 */
import { toUnorm16 } from '../../src/analyze/unorm16.js';
import { parseActions } from '../../src/edit/actions.js';
import type { EditRequest } from '../../src/edit/plan.js';
import { parseThreshold } from '../../src/edit/threshold.js';
import { parseTimePair } from '../../src/edit/time.js';
import {
  commandLine,
  computeEdit,
  formatThreshold,
  levelKey,
  shellQuote,
  thresholdControls,
  whenText,
  withThreshold,
  withWhen,
  type Chunk,
  type JobStatus,
  type ThresholdControl,
  type ViewSession,
} from '../../src/view/model.js';
import { EditedPlayer, chunkIndexAt } from './player.js';
import { Plot, formatTime } from './plot.js';

const el = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from index.html`);
  return found as T;
};

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return (await res.json()) as T;
}

async function postJson<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const value = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(value.error ?? `${url}: ${res.status}`);
  return value;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Marks a text input valid or not, with the reason in the shared status line. */
function markInput(input: HTMLInputElement, error: string | null, status: HTMLElement): void {
  input.setAttribute('aria-invalid', error === null ? 'false' : 'true');
  input.title = error ?? '';
  if (error !== null) status.textContent = error;
}

/**
 * A threshold slider's position for a unorm16 level, on the scale its lane is drawn with: dB for
 * audio (the far left is 0, keeping everything), the square root for motion, a plain fraction for
 * black frames.
 */
function sliderValue(control: ThresholdControl, unorm: number): number {
  const ratio = unorm / 65535;
  if (control.method === 'audio') return ratio <= 0 ? -60 : Math.max(-60, 20 * Math.log10(ratio));
  return control.method === 'motion' ? Math.sqrt(ratio) : ratio;
}

function sliderToUnorm(control: ThresholdControl, value: number): number {
  if (control.method === 'audio') return toUnorm16(value <= -60 ? 0 : Math.pow(10, value / 20));
  return toUnorm16(control.method === 'motion' ? value * value : value);
}

async function start(): Promise<void> {
  const session = await getJson<ViewSession>('/api/session');
  const levels = await Promise.all(
    session.lanes.map(async (lane) => {
      const res = await fetch(`/api/levels/${lane.index}`, { cache: 'no-store' });
      if (!res.ok) throw new Error(`levels ${lane.index}: ${res.status}`);
      return new Uint16Array(await res.arrayBuffer());
    }),
  );
  const levelMap = new Map(session.lanes.map((lane, i) => [levelKey(lane.request), levels[i]!]));
  const rate = session.tb.num / session.tb.den;
  let settings: EditRequest = structuredClone(session.request);
  let chunks: Chunk[] = [];
  /** Edited frames before each chunk, for the clock. */
  let editedBefore: number[] = [];

  document.title = `tacet view — ${session.name}`;
  el('file-name').textContent = session.name;
  const editStatus = el('edit-status');
  const timeline = el('timeline');
  const video = el<HTMLVideoElement>('video');

  const player = new EditedPlayer(video, rate, (frame, playing) => {
    plot.setPlayhead(frame, playing);
    const i = chunkIndexAt(chunks, frame);
    const c = chunks[i];
    const edited = c ? editedBefore[i]! + (c[2] >= 99999 ? 0 : (frame - c[0]) / c[2]) : 0;
    const total = editedBefore[editedBefore.length - 1] ?? 0;
    el('clock').textContent = `${formatTime(frame / rate, true)} · edited ${formatTime(edited / rate, true)} of ${formatTime(total / rate, true)}`;
  });
  const plot = new Plot(el<HTMLCanvasElement>('plot'), el('scroll'), el('scroll-spacer'), session.lanes, levels, session.len, rate, (frame) => {
    const c = chunks[chunkIndexAt(chunks, frame)];
    if (c) player.playChunk(c);
  });

  // --- Threshold controls, one per method in the expressions -----------------------------------
  const controls = thresholdControls(settings, session.lanes);
  const current = new Map<ThresholdControl, number>(controls.map((c) => [c, c.threshold]));
  const thresholdBox = el('thresholds');
  for (const [k, control] of controls.entries()) {
    const field = document.createElement('div');
    field.className = 'field';
    const id = `threshold-${k}`;
    const unit = control.method === 'audio' ? 'slider in dB' : 'from 0 to 1';
    field.innerHTML = `<label for="${id}">Threshold: <span></span> <small>(${unit})</small></label><div class="pair"><input type="range" aria-label="threshold slider"><input id="${id}" type="text" spellcheck="false"></div>`;
    field.querySelector('span')!.textContent = control.name;
    const range = field.querySelector<HTMLInputElement>('input[type=range]')!;
    const text = field.querySelector<HTMLInputElement>('input[type=text]')!;
    range.id = `${id}-range`;
    range.dataset.control = String(k);
    if (control.method === 'audio') Object.assign(range, { min: '-60', max: '0', step: '0.5' });
    else Object.assign(range, { min: '0', max: '1', step: '0.001' });
    range.value = String(sliderValue(control, control.threshold));
    text.value = formatThreshold(control.threshold);
    const apply = (unorm: number) => {
      current.set(control, unorm);
      settings = withThreshold(settings, control, unorm);
      recompute();
    };
    range.addEventListener('input', () => {
      const unorm = sliderToUnorm(control, Number(range.value));
      text.value = formatThreshold(unorm);
      markInput(text, null, editStatus);
      apply(unorm);
    });
    text.addEventListener('input', () => {
      try {
        const unorm = toUnorm16(parseThreshold(text.value.trim()));
        range.value = String(sliderValue(control, unorm));
        markInput(text, null, editStatus);
        apply(unorm);
      } catch (e) {
        markInput(text, message(e), editStatus);
      }
    });
    thresholdBox.append(field);
  }

  // --- Margin, smoothing and actions: text checked by the edit code, as the CLI checks it -------
  const margin = el<HTMLInputElement>('margin');
  const marginRange = el<HTMLInputElement>('margin-range');
  const setMarginRange = () => {
    const first = /^\s*(-?[\d.]+)\s*s(?:ec)?\b/.exec(settings.margin);
    marginRange.value = first ? first[1]! : '0';
  };
  margin.value = settings.margin;
  setMarginRange();
  const bindText = (input: HTMLInputElement, check: (text: string) => void, set: (text: string) => void) => {
    input.addEventListener('input', () => {
      try {
        check(input.value);
        markInput(input, null, editStatus);
        set(input.value);
        recompute();
      } catch (e) {
        markInput(input, message(e), editStatus);
      }
    });
  };
  bindText(margin, (t) => parseTimePair(t, session.tb), (t) => {
    settings = { ...settings, margin: t };
    setMarginRange();
  });
  marginRange.addEventListener('input', () => {
    margin.value = `${marginRange.value}s`;
    margin.dispatchEvent(new Event('input'));
  });
  const smooth = el<HTMLInputElement>('smooth');
  smooth.value = settings.smooth;
  bindText(smooth, (t) => parseTimePair(t, session.tb), (t) => (settings = { ...settings, smooth: t }));
  for (const [id, label, fallback, what] of [
    ['when-inactive', 0, 'cut', '--when-inactive'],
    ['when-active', 1, 'nil', '--when-active'],
  ] as const) {
    const input = el<HTMLInputElement>(id);
    input.value = whenText(settings, label, fallback);
    bindText(input, (t) => parseActions(t, what), (t) => (settings = withWhen(settings, label, t)));
  }

  // --- The edit itself -----------------------------------------------------------------------------
  function recompute(): void {
    try {
      const result = computeEdit(session, settings, levelMap);
      chunks = result.chunks;
      editedBefore = [0];
      for (const [s, e, speed] of chunks) editedBefore.push(editedBefore[editedBefore.length - 1]! + (speed >= 99999 ? 0 : (e - s) / speed));
      editStatus.textContent = result.outputFrames === 0 ? 'Nothing is kept: tacet would refuse this edit (the timeline is empty).' : '';
      const cuts = chunks.filter((c) => c[2] >= 99999).length;
      const percent = session.len ? Math.round((100 * result.outputFrames) / session.len) : 0;
      el('summary').textContent =
        `kept ${result.outputFrames} of ${session.len} frames (${percent}%) · ` +
        `${formatTime(result.outputFrames / rate, true)} of ${formatTime(session.len / rate, true)} · ${cuts} cut${cuts === 1 ? '' : 's'}`;
      timeline.dataset.chunks = JSON.stringify(chunks);
      timeline.dataset.outputFrames = String(result.outputFrames);
    } catch (e) {
      editStatus.textContent = message(e);
    }
    plot.setChunks(chunks);
    player.setChunks(chunks);
    plot.setThresholds(controls.map((c) => ({ lanes: c.lanes, value: current.get(c)! / 65535 })));
    const argv = commandLine(session, settings);
    const cmd = el('cmdline');
    cmd.textContent = shellQuote(argv);
    cmd.dataset.argv = JSON.stringify(argv);
  }
  recompute();

  el('zoom-in').addEventListener('click', () => plot.zoom(2));
  el('zoom-out').addEventListener('click', () => plot.zoom(0.5));
  el('zoom-fit').addEventListener('click', () => plot.fit());
  el('copy').addEventListener('click', () => {
    void navigator.clipboard?.writeText(el('cmdline').textContent ?? '').catch(() => {});
  });

  // --- Player ------------------------------------------------------------------------------------
  const play = el<HTMLButtonElement>('play');
  const asEdited = el<HTMLInputElement>('as-edited');
  asEdited.addEventListener('change', () => (player.asEdited = asEdited.checked));
  play.addEventListener('click', () => {
    if (video.paused) void video.play().catch((e: unknown) => (el('media-status').textContent = message(e)));
    else video.pause();
  });
  video.addEventListener('play', () => (play.textContent = 'Pause'));
  video.addEventListener('pause', () => (play.textContent = 'Play'));
  if (!session.media.hasVideo) video.classList.add('audio-only');

  const mediaStatus = el('media-status');
  let previewJob: number | null = null;
  const usePreview = async () => {
    if (previewJob !== null) return;
    mediaStatus.textContent = 'This browser cannot play the source; making a preview…';
    try {
      previewJob = (await postJson<JobStatus>('/api/preview', {})).id;
      void pollJobs();
    } catch (e) {
      mediaStatus.textContent = message(e);
    }
  };
  const isSource = () => video.currentSrc.endsWith('/media');
  video.addEventListener('error', () => {
    if (isSource()) void usePreview();
  });
  video.addEventListener('loadedmetadata', () => {
    // Some browsers play the audio of a file whose video codec they lack: that needs the preview too.
    if (isSource() && session.media.hasVideo && video.videoWidth === 0) void usePreview();
    else if (video.currentSrc.endsWith('/preview.mp4')) mediaStatus.textContent = 'Playing a preview made for the browser (the source codecs are not playable here).';
  });
  if (session.media.source) video.src = session.media.source;
  else void usePreview();

  // --- Exports and other jobs ----------------------------------------------------------------------
  const kind = el<HTMLSelectElement>('export-kind');
  for (const k of session.exportKinds) kind.append(new Option(k === 'render' ? 'render (media file)' : k, k, k === session.defaultExport, k === session.defaultExport));
  const jobList = el('jobs');
  const items = new Map<number, HTMLLIElement>();
  let polling = false;

  function showJob(job: JobStatus): void {
    if (job.what === 'preview') {
      if (job.state === 'done' && !video.currentSrc.endsWith('/preview.mp4')) {
        const at = video.currentTime;
        video.src = '/preview.mp4';
        video.currentTime = at;
      } else if (job.state === 'running' || job.state === 'queued') {
        mediaStatus.textContent = `Making a preview the browser can play… ${job.total ? Math.round((100 * job.done) / job.total) : 0}%`;
      } else if (job.state === 'failed') mediaStatus.textContent = `The preview failed: ${job.error}`;
      return;
    }
    let li = items.get(job.id);
    if (!li) {
      li = document.createElement('li');
      li.innerHTML = '<div><span class="what"></span><button type="button" class="cancel">Cancel</button></div><progress max="1" value="0"></progress><div class="path"></div>';
      li.querySelector('.cancel')!.addEventListener('click', () => void postJson(`/api/jobs/${job.id}/cancel`, {}).then(pollJobs, () => {}));
      items.set(job.id, li);
      jobList.prepend(li);
    }
    li.dataset.jobId = String(job.id);
    li.dataset.state = job.state;
    li.dataset.output = job.output ?? '';
    li.dataset.title = job.title;
    const running = job.state === 'running' || job.state === 'queued';
    const pct = job.total ? Math.min(100, Math.round((100 * job.done) / job.total)) : 0;
    const what =
      job.state === 'done' ? `${job.kind}: done` : job.state === 'failed' ? `${job.kind}: failed — ${job.error}` : job.state === 'cancelled' ? `${job.kind}: cancelled` : `${job.kind}: ${job.title}${job.total ? ` ${pct}%` : ''}`;
    li.querySelector('.what')!.textContent = what;
    li.querySelector<HTMLButtonElement>('.cancel')!.hidden = !running;
    const bar = li.querySelector('progress')!;
    bar.hidden = !running;
    bar.value = job.total ? job.done / job.total : 0;
    li.querySelector('.path')!.textContent = job.output ?? '';
  }

  async function pollJobs(): Promise<void> {
    if (polling) return;
    polling = true;
    try {
      for (;;) {
        const jobs = await getJson<JobStatus[]>('/api/jobs');
        jobs.forEach(showJob);
        if (!jobs.some((j) => j.state === 'running' || j.state === 'queued')) break;
        await new Promise((r) => setTimeout(r, 300));
      }
    } catch {
      // The server stopped (Ctrl-C): nothing more to show.
    } finally {
      polling = false;
    }
  }

  el('export').addEventListener('click', async () => {
    try {
      showJob(await postJson<JobStatus>('/api/export', { kind: kind.value, settings }));
      void pollJobs();
    } catch (e) {
      editStatus.textContent = message(e);
    }
  });
  void pollJobs();
  timeline.dataset.ready = '1';
}

start().catch((e: unknown) => {
  document.body.insertAdjacentHTML('afterbegin', '<p class="status error" id="fatal"></p>');
  el('fatal').textContent = `tacet view could not start: ${message(e)}`;
});
