// The c2w run viewer: plays world.glb from the run folder with its
// animation, beside the run's video and the critic's findings.
// window.c2w exposes the state for scripts and tests.
import * as THREE from './vendor/three.bundle.min.js';

const $ = (id) => document.getElementById(id);
const canvas = $('view');
const renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
renderer.outputColorSpace = THREE.SRGBColorSpace;
renderer.toneMapping = THREE.ACESFilmicToneMapping;
const scene = new THREE.Scene();
const orbitCamera = new THREE.PerspectiveCamera(50, 16 / 9, 0.05, 5000);
const controls = new THREE.OrbitControls(orbitCamera, canvas);
let worldCamera = null;
let mixer = null;
let action = null;
let duration = 0;
let time = 0;
let playing = false;
let speed = 1;
let highlights = [];
const state = { ready: false, error: null, time: 0, duration: 0, playing: false, findings: 0 };
window.c2w = state;

function files() {
  return fetch('api/run.json').then((r) => r.json());
}

function fitOrbit(root) {
  const box = new THREE.Box3().setFromObject(root);
  if (box.isEmpty()) return;
  const size = box.getSize(new THREE.Vector3()).length();
  const centre = box.getCenter(new THREE.Vector3());
  controls.target.copy(centre);
  orbitCamera.position.copy(centre).add(new THREE.Vector3(0.6, 0.45, 0.8).multiplyScalar(size * 0.7));
  orbitCamera.far = size * 20 + 100;
  orbitCamera.updateProjectionMatrix();
  controls.update();
}

function setTime(t) {
  time = Math.min(Math.max(t, 0), duration);
  if (mixer) { action.time = time; mixer.update(0); }
  for (const h of highlights) h.update();
  const label = `${time.toFixed(2)} / ${duration.toFixed(2)} s`;
  $('time').textContent = label;
  $('time').dataset.time = time.toFixed(2);
  $('scrub').value = String(time);
  document.title = `c2w view t=${time.toFixed(2)}s`;
  state.time = time;
  const video = $('video');
  if (video.src && !playing && Math.abs(video.currentTime - time) > 0.02) video.currentTime = time;
}

function setPlaying(on) {
  playing = on && duration > 0;
  state.playing = playing;
  $('play').textContent = playing ? 'Pause' : 'Play';
  const video = $('video');
  if (video.src) {
    video.playbackRate = speed;
    if (playing) { video.currentTime = time; video.play().catch(() => {}); } else video.pause();
  }
}

function highlight(names) {
  for (const h of highlights) scene.remove(h);
  highlights = [];
  for (const name of names) {
    // GLTFLoader sanitises node names the way animation bindings need.
    const node = scene.getObjectByName(THREE.PropertyBinding.sanitizeNodeName(name))
      || scene.getObjectByName(name);
    if (!node) continue;
    const box = new THREE.BoxHelper(node, 0xffcc00);
    scene.add(box);
    highlights.push(box);
  }
  state.highlighted = highlights.length;
}

function showFindings(critic) {
  const list = $('findings');
  const findings = (critic && critic.findings) || [];
  $('critic-title').textContent = critic
    ? `Critic: ${critic.verdict}, score ${critic.score}, ${findings.length} finding(s)`
    : 'Critic: no critic.json in this run (c2w run --critic)';
  findings.forEach((f, i) => {
    const li = document.createElement('li');
    li.className = f.severity;
    li.dataset.index = String(i);
    li.innerHTML = '<div class="when"></div><div class="msg"></div>';
    li.querySelector('.when').textContent =
      `${f.severity} [${f.id}] t = ${f.time[0].toFixed(2)}-${f.time[1].toFixed(2)} s ${f.entities.join(', ')}`;
    li.querySelector('.msg').textContent = f.message;
    li.title = f.fix;
    li.addEventListener('click', () => {
      for (const other of list.children) other.classList.remove('active');
      li.classList.add('active');
      setPlaying(false);
      highlight(f.entities);
      setTime(f.time[0]);
    });
    list.appendChild(li);
  });
  state.findings = findings.length;
}

async function load() {
  const run = await files();
  if (run.video) $('video').src = 'run/video.mp4'; else { $('video').hidden = true; $('novideo').hidden = false; }
  showFindings(run.critic ? await fetch('run/critic.json').then((r) => r.json()) : null);
  if (!run.glb) throw new Error('no world.glb in this run folder: run c2w run SCRIPT --gltf');
  const gltf = await new THREE.GLTFLoader().loadAsync('run/world.glb');
  const root = gltf.scene;
  scene.add(root);
  const extras = root.userData || {};
  const sky = extras.sky_color || [0.4, 0.6, 0.9];
  scene.background = new THREE.Color().setRGB(sky[0], sky[1], sky[2], THREE.LinearSRGBColorSpace);
  // The scene's own lights are physically scaled; a dim sky fill stands in
  // for the renderer's ambient light.
  scene.add(new THREE.HemisphereLight(0xbfd4ff, 0x404040, 0.6));
  worldCamera = gltf.cameras[0] || null;
  if (gltf.animations.length) {
    mixer = new THREE.AnimationMixer(root);
    action = mixer.clipAction(gltf.animations[0]);
    action.play();
    action.paused = true;
    duration = gltf.animations[0].duration;
  }
  $('scrub').max = String(duration);
  fitOrbit(root);
  if (worldCamera) $('camera').value = 'world';
  setTime(0);
  $('status').textContent = `${run.name}: ${duration.toFixed(2)} s, ${gltf.animations.length ? 'animated' : 'static'}`;
  state.duration = duration;
  state.ready = true;
}

function resize() {
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== w || canvas.height !== h) renderer.setSize(w, h, false);
  for (const cam of [orbitCamera, worldCamera]) {
    if (cam && cam.isPerspectiveCamera) { cam.aspect = w / h; cam.updateProjectionMatrix(); }
  }
}

let last = performance.now();
function frame(now) {
  const dt = (now - last) / 1000;
  last = now;
  if (playing) {
    let t = time + dt * speed;
    if (t > duration) t = 0;
    setTime(t);
  }
  resize();
  const useWorld = $('camera').value === 'world' && worldCamera;
  controls.enabled = !useWorld;
  renderer.render(scene, useWorld ? worldCamera : orbitCamera);
  requestAnimationFrame(frame);
}

$('play').addEventListener('click', () => setPlaying(!playing));
$('scrub').addEventListener('input', (e) => { setPlaying(false); setTime(parseFloat(e.target.value)); });
$('speed').addEventListener('change', (e) => { speed = parseFloat(e.target.value); setPlaying(playing); });
window.addEventListener('keydown', (e) => { if (e.code === 'Space') { e.preventDefault(); setPlaying(!playing); } });
state.seek = (t) => { setPlaying(false); setTime(t); };
state.play = () => setPlaying(true);
state.pause = () => setPlaying(false);

load().catch((e) => {
  state.error = String(e);
  $('status').textContent = `error: ${e.message || e}`;
});
requestAnimationFrame(frame);
