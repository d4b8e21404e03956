import type { TObject, TSchema, Static } from '@sinclair/typebox';

/** Who may call a method: before auth, any authorized role, or the admin role only (room-api.md §3.2). */
export type Access = 'public' | 'user' | 'admin';

export interface MethodSpec<P extends TObject = TObject, R extends TSchema = TSchema> {
  access: Access;
  params: P;
  reply: R;
  /** What the method does, in a sentence, for the API reference. */
  description?: string;
}

export function method<P extends TObject, R extends TSchema>(
  access: Access,
  params: P,
  reply: R,
  description?: string,
) {
  return { access, params, reply, ...(description ? { description } : {}) } satisfies MethodSpec<P, R>;
}

export type ParamsOf<S> = S extends MethodSpec<infer P, TSchema> ? Static<P> : never;
export type ReplyOf<S> = S extends MethodSpec<TObject, infer R> ? Static<R> : never;
