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

/**
 * The in-memory fan-out of uploads written in this process to the readers following them: a reader that keeps up
 * takes each chunk from here as it is written, nothing read back from the store, nothing copied.
 */
export class BodySignals {
  private readonly emitter = new EventEmitter();

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
  }

  completed(sha256: string): void {
    this.emitter.emit(`complete:${sha256}`);
  }

  failed(upload: UploadRef): void {
    this.emitter.emit(`failed:${uploadKey(upload)}`);
  }

  removed(sha256: string): void {
    this.emitter.emit(`removed:${sha256}`);
  }
}
