import { methods, type MethodName } from './methods.js';
import { ApiError, ErrorCode } from './errors.js';
import { compileCheck, type Check } from './schema-check.js';

const compiled = new Map<MethodName, Check>();

/** Validates a request's parameters against its method's schema; throws a 400 ApiError naming the field. */
export function validateParams(name: MethodName, message: Record<string, unknown>): void {
  let check = compiled.get(name);
  if (!check) {
    check = compileCheck(methods[name].params);
    compiled.set(name, check);
  }
  const problem = check(message);
  if (problem !== null) throw new ApiError(ErrorCode.BadRequest, problem);
}
