import { Server } from '@tus/server';
import { FileStore } from '@tus/file-store';
import { reportListening } from '../lib/children.js';

/**
 * The peer of rows 10–13: the reference server of the tus resumable-upload protocol, `@tus/server` with
 * `@tus/file-store`, set up as their READMEs show (`path`, `datastore` with a `directory`, `server.listen`), every
 * other option at its default. Uploads are stored under the directory given as argv[2]; a GET of a finished
 * upload's URL serves it (the server's GetHandler reads it back through `FileStore.read`). Bound to loopback on a
 * free port, as every process of the benchmark is.
 */
const tus = new Server({ path: '/files', datastore: new FileStore({ directory: process.argv[2] }) });
const server = tus.listen({ host: '127.0.0.1', port: 0 }, () => reportListening(server.address()));
