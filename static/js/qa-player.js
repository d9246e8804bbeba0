// The QA recording player: play/pause, seek (range input or click on the waveform), 1x/1.5x/2x,
// -5s/+5s, keyboard (K or space, J, L), timestamped comments that jump the player, and the
// comment form taking the current moment. The waveform is drawn from the decoded file; when it
// cannot be (large or undecodable file) the canvas shows a plain progress bar.
(function () {
  "use strict";
  const root = document.querySelector("[data-player]");
  if (!root) return;
  const audio = root.querySelector("[data-audio]");
  const play = root.querySelector("[data-play]");
  const current = root.querySelector("[data-current]");
  const total = root.querySelector("[data-total]");
  const seek = root.querySelector("[data-seek]");
  const canvas = root.querySelector("[data-canvas]");
  const marks = root.querySelector("[data-marks]");
  const MAX_WAVE_BYTES = 15 * 1024 * 1024;
  let peaks = null;

  function fmt(seconds) {
    const s = Math.max(0, Math.floor(seconds || 0));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  function length() {
    return Number.isFinite(audio.duration) ? audio.duration : 0;
  }

  function draw() {
    const ctx = canvas.getContext("2d");
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.floor(canvas.clientWidth * ratio));
    const height = Math.max(1, Math.floor(canvas.clientHeight * ratio));
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const styles = getComputedStyle(root);
    const played = styles.getPropertyValue("--wave-played").trim() || "#1f5fbf";
    const rest = styles.getPropertyValue("--wave-rest").trim() || "#c4ccd6";
    const progress = length() ? audio.currentTime / length() : 0;
    ctx.clearRect(0, 0, width, height);
    if (!peaks) {
      ctx.fillStyle = rest;
      ctx.fillRect(0, height / 2 - 3 * ratio, width, 6 * ratio);
      ctx.fillStyle = played;
      ctx.fillRect(0, height / 2 - 3 * ratio, width * progress, 6 * ratio);
      return;
    }
    const bar = 3 * ratio;
    const bars = Math.floor(width / bar);
    for (let i = 0; i < bars; i += 1) {
      const peak = peaks[Math.floor((i / bars) * peaks.length)] || 0;
      const h = Math.max(ratio, peak * (height - 2 * ratio));
      ctx.fillStyle = i / bars < progress ? played : rest;
      ctx.fillRect(i * bar, (height - h) / 2, bar - ratio, h);
    }
  }

  function placeMarks() {
    if (!marks || !length()) return;
    marks.querySelectorAll("[data-seek-to]").forEach((mark) => {
      mark.style.insetInlineStart = Math.min(100, (parseFloat(mark.dataset.seekTo) / length()) * 100) + "%";
    });
  }

  function update() {
    current.textContent = fmt(audio.currentTime);
    if (length()) {
      total.textContent = fmt(length());
      seek.value = String(Math.round((audio.currentTime / length()) * 1000));
    }
    root.dataset.state = audio.paused ? "paused" : "playing";
    play.textContent = audio.paused ? play.dataset.labelPlay : play.dataset.labelPause;
    play.setAttribute("aria-pressed", String(!audio.paused));
    draw();
  }

  function jump(seconds, andPlay) {
    const end = length();
    audio.currentTime = Math.max(0, end ? Math.min(seconds, end) : seconds);
    if (andPlay) audio.play().catch(update);
    update();
  }

  function toggle() {
    if (audio.paused) audio.play().catch(update); // refused or failed: show it stays paused
    else audio.pause();
  }

  function setSpeed(rate) {
    audio.playbackRate = rate;
    root.querySelectorAll("[data-speed]").forEach((button) => {
      button.setAttribute("aria-pressed", String(parseFloat(button.dataset.speed) === rate));
    });
    try { localStorage.setItem("qa.speed", String(rate)); } catch (error) { /* private mode */ }
  }

  async function loadWave() {
    try {
      const response = await fetch(audio.currentSrc || audio.src, { credentials: "same-origin" });
      const size = parseInt(response.headers.get("Content-Length") || "0", 10);
      if (!response.ok || size > MAX_WAVE_BYTES) return;
      const buffer = await response.arrayBuffer();
      const decoder = new OfflineAudioContext(1, 1, 8000);
      const decoded = await decoder.decodeAudioData(buffer);
      const data = decoded.getChannelData(0);
      const count = 600;
      const step = Math.max(1, Math.floor(data.length / count));
      const found = [];
      let highest = 0;
      for (let i = 0; i < count && i * step < data.length; i += 1) {
        let peak = 0;
        for (let j = i * step; j < Math.min(data.length, (i + 1) * step); j += 1) {
          const value = Math.abs(data[j]);
          if (value > peak) peak = value;
        }
        found.push(peak);
        if (peak > highest) highest = peak;
      }
      peaks = found.map((peak) => (highest ? peak / highest : 0));
      root.dataset.wave = "ready";
      draw();
    } catch (error) {
      root.dataset.wave = "unavailable";
    }
  }

  play.addEventListener("click", toggle);
  ["timeupdate", "play", "pause", "ended", "loadedmetadata", "durationchange", "seeked"].forEach((name) => {
    audio.addEventListener(name, () => { update(); placeMarks(); });
  });
  seek.addEventListener("input", () => jump((parseInt(seek.value, 10) / 1000) * length(), false));
  root.querySelectorAll("[data-skip]").forEach((button) => {
    button.addEventListener("click", () => jump(audio.currentTime + parseFloat(button.dataset.skip), false));
  });
  root.querySelectorAll("[data-speed]").forEach((button) => {
    button.addEventListener("click", () => setSpeed(parseFloat(button.dataset.speed)));
  });
  canvas.addEventListener("click", (event) => {
    const box = canvas.getBoundingClientRect();
    const rtl = getComputedStyle(canvas).direction === "rtl";
    const x = rtl ? box.right - event.clientX : event.clientX - box.left;
    jump((x / box.width) * length(), false);
  });
  document.querySelectorAll("[data-seek-to]").forEach((button) => {
    button.addEventListener("click", () => jump(parseFloat(button.dataset.seekTo), true));
  });
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = target instanceof HTMLElement && target.closest("input, textarea, select, [contenteditable]");
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "k" || (event.key === " " && !(target instanceof HTMLButtonElement))) {
      event.preventDefault();
      toggle();
    } else if (event.key === "j") {
      jump(audio.currentTime - 5, false);
    } else if (event.key === "l") {
      jump(audio.currentTime + 5, false);
    }
  });

  // A comment typed while listening is about this moment, unless the moment was typed by hand.
  const at = document.querySelector("[data-comment-at]");
  const body = document.querySelector("[data-comment-body]");
  if (at && body) {
    at.addEventListener("input", () => { at.dataset.manual = "true"; });
    const take = () => {
      if (at.dataset.manual !== "true" && audio.currentTime > 0) at.value = fmt(audio.currentTime);
    };
    body.addEventListener("focus", take);
    body.addEventListener("input", take);
  }

  window.addEventListener("resize", draw);
  try {
    const saved = parseFloat(localStorage.getItem("qa.speed") || "1");
    if ([1, 1.5, 2].includes(saved)) setSpeed(saved);
  } catch (error) { /* private mode */ }
  update();
  loadWave();
}());
