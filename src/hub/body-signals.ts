import { EventEmitter } from 'node:events';
import type { UploadRef } from './blob-store.js';

/** What a reader following an upload hears of it. */
export interface UploadListener {
  /** `chunk` was written at byte `at` of the upload: the very buffer, for every reader alike. */
  written(chunk: Buffer, at: number): void;
  /** The upload stopped writing, finished or was discarded: look again. */
  changed(): void;
  /** This upload failed its integrity check: nothing more will come of it (other accounts' uploads go on). */
  failed(): void;
  /** No open send or offer needs the body any more: it is gone. */
  removed(): void;
}

const uploadKey = ({ sha256, uploader }: UploadRef) => `${sha256}.${uploader}`;

/** What other hub processes on the same store hear of an upload written here (bytes they read from the store). */
export type BodyEvent =
  | { kind: 'changed' | 'failed'; sha256: string; uploader: string }
  | { kind: 'completed' | 'removed'; sha256: string };

/**
 * The in-memory fan-out of uploads written in this process to the readers following them: a reader that keeps up
 * takes each chunk from here as it is written, nothing read back from the store, nothing copied.
 */
export class BodySignals {
  private readonly emitter = new EventEmitter();
  /** Several hub processes: hands every event but `written` to the others (set by the composition root). */
  relay: ((event: BodyEvent) => void) | null = null;

  constructor() {
    // One listener per reader: their number is bounded by the downloads running, not by this emitter.
    this.emitter.setMaxListeners(0);
  }

  subscribe(upload: UploadRef, listener: UploadListener): () => void {
    const key = uploadKey(upload);
    const written = (chunk: Buffer, at: number) => listener.written(chunk, at);
    const changed = () => listener.changed();
    const failed = () => listener.failed();
    const removed = () => listener.removed();
    this.emitter.on(`written:${key}`, written);
    this.emitter.on(`changed:${key}`, changed);
    this.emitter.on(`complete:${upload.sha256}`, changed);
    this.emitter.on(`failed:${key}`, failed);
    this.emitter.on(`removed:${upload.sha256}`, removed);
    return () => {
      this.emitter.off(`written:${key}`, written);
      this.emitter.off(`changed:${key}`, changed);
      this.emitter.off(`complete:${upload.sha256}`, changed);
      this.emitter.off(`failed:${key}`, failed);
      this.emitter.off(`removed:${upload.sha256}`, removed);
    };
  }

  written(upload: UploadRef, chunk: Buffer, at: number): void {
    this.emitter.emit(`written:${uploadKey(upload)}`, chunk, at);
  }

  changed(upload: UploadRef): void {
    this.emitter.emit(`changed:${uploadKey(upload)}`);
    this.relay?.({ kind: 'changed', sha256: upload.sha256, uploader: upload.uploader });
  }

  completed(sha256: string): void {
    this.emitter.emit(`complete:${sha256}`);
    this.relay?.({ kind: 'completed', sha256 });
  }

  failed(upload: UploadRef): void {
    this.emitter.emit(`failed:${uploadKey(upload)}`);
    this.relay?.({ kind: 'failed', sha256: upload.sha256, uploader: upload.uploader });
  }

  removed(sha256: string): void {
    this.emitter.emit(`removed:${sha256}`);
    this.relay?.({ kind: 'removed', sha256 });
  }

  /** An event another process handed over: to the readers of this process, not handed on again. */
  receive(event: BodyEvent): void {
    if ('uploader' in event) this.emitter.emit(`${event.kind}:${uploadKey(event)}`);
    else this.emitter.emit(`${event.kind === 'completed' ? 'complete' : 'removed'}:${event.sha256}`);
  }
}
