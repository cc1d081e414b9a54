export { WebGLRenderer, Scene, PerspectiveCamera, AnimationMixer, Color, HemisphereLight, Box3, Vector3, BoxHelper, Clock, ACESFilmicToneMapping, SRGBColorSpace, LoopRepeat, GridHelper, LinearSRGBColorSpace, PropertyBinding } from 'three';
export { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
export { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
