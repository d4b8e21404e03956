import type { FastifyCorsOptions } from '@fastify/cors';
import type { OriginPolicy } from '../origin-policy.js';

/**
 * Browser access to the built-in HTTP server: pages of an origin the room admits (its own web port, or one given
 * with --allow-origin; room-api.md §1) may upload, list, download and delete, and read the headers a download or
 * an upload answers with. Any other origin, and a request without one, gets no CORS headers.
 */
export function corsOptions(origins: OriginPolicy): FastifyCorsOptions {
  return {
    origin: (origin, callback) => callback(null, origin !== undefined && origins.allows(origin)),
    methods: ['GET', 'HEAD', 'POST', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Range'],
    exposedHeaders: ['FileId', 'Content-Disposition', 'ETag', 'Content-Range'],
    // A preflight of an admitted origin is answered 204 whatever else it carries.
    strictPreflight: false,
  };
}
