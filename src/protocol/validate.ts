import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import { methods, type MethodName } from './methods.js';
import { ApiError, ErrorCode } from './errors.js';

const ajv = new Ajv({ allErrors: false, strict: true });
// `expect` is our metadata: the words used in an error message when a value has the wrong type.
ajv.addKeyword({ keyword: 'expect', schemaType: 'string' });

const compiled = new Map<MethodName, ValidateFunction>();

export function compileSchema(schema: TSchema): ValidateFunction {
  return ajv.compile(schema);
}

function paramName(error: ErrorObject): string {
  return error.instancePath
    .split('/')
    .filter(Boolean)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

/** One sentence naming the parameter at fault and what was expected of it. */
export function describeValidationError(error: ErrorObject): string {
  const name = paramName(error);
  const expect = (error.parentSchema as { expect?: string } | undefined)?.expect;
  switch (error.keyword) {
    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      return `missing parameter "${name ? `${name}.` : ''}${missing}"`;
    }
    case 'additionalProperties': {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      return `unknown parameter "${name ? `${name}.` : ''}${extra}"`;
    }
    case 'anyOf':
    case 'const':
    case 'enum':
      return `parameter "${name}" has a wrong value${expect ? `: expected ${expect}` : ''}`;
    default:
      return `parameter "${name}" ${expect ? `must be ${expect}` : (error.message ?? 'is invalid')}`;
  }
}

/** Validates a request's parameters against its method's schema; throws a 400 ApiError naming the field. */
export function validateParams(name: MethodName, message: Record<string, unknown>): void {
  let validate = compiled.get(name);
  if (!validate) {
    validate = ajv.compile(methods[name].params);
    compiled.set(name, validate);
  }
  if (!validate(message)) {
    const error = validate.errors?.[0];
    throw new ApiError(ErrorCode.BadRequest, error ? describeValidationError(error) : 'invalid parameters');
  }
}
