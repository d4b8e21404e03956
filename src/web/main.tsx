import { render } from 'preact';
import { App } from './app.js';
import { Session } from './session.js';
import './styles.css';

// A file dropped outside the drop zone must not make the browser leave the page to open it.
for (const type of ['dragover', 'drop'] as const) {
  window.addEventListener(type, (event) => {
    if (!(event.target instanceof Element && event.target.closest('.dropzone'))) event.preventDefault();
  });
}

const session = new Session();
render(<App session={session} />, document.getElementById('app')!);
void session.start();
