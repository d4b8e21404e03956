import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { methods, type MethodName } from './methods.js';
import { ApiError, ErrorCode } from './errors.js';

// `verbose` puts the failing schema on each error: the message says what the parameter may be.
const ajv = new Ajv({ allErrors: false, strict: true, verbose: true });
// `expect` is our metadata: the words used in an error message when a value has the wrong type.
ajv.addKeyword({ keyword: 'expect', schemaType: 'string' });

const compiled = new Map<MethodName, ValidateFunction>();

interface SchemaLike {
  const?: unknown;
  type?: string;
  expect?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  anyOf?: SchemaLike[];
}

function paramName(error: ErrorObject): string {
  return error.instancePath
    .split('/')
    .filter(Boolean)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

/** What a value of this schema looks like, in words ("an integer from 1 to 65535", `"secured"`). */
function describeSchema(schema: SchemaLike): string {
  if (schema.expect) return schema.expect;
  if ('const' in schema) return JSON.stringify(schema.const);
  if (schema.anyOf) return describeAlternatives(schema.anyOf);
  switch (schema.type) {
    case 'integer':
    case 'number': {
      const what = schema.type === 'integer' ? 'an integer' : 'a number';
      const { minimum: min, maximum: max } = schema;
      if (min !== undefined && max !== undefined) return `${what} from ${min} to ${max}`;
      if (min !== undefined) return `${what} of at least ${min}`;
      if (max !== undefined) return `${what} of at most ${max}`;
      return what;
    }
    case 'string':
      if (schema.pattern) return `a string matching ${schema.pattern}`;
      if (schema.minLength && schema.maxLength)
        return `a string of ${schema.minLength} to ${schema.maxLength} characters`;
      if (schema.minLength) return 'a non-empty string';
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'object':
      return 'an object';
    case 'array':
      return 'an array';
    case 'null':
      return 'null';
    default:
      return 'a valid value';
  }
}

function describeAlternatives(branches: SchemaLike[]): string {
  const words = branches.map(describeSchema);
  if (branches.every((branch) => 'const' in branch)) return `one of ${words.join(', ')}`;
  return words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}` : words[0];
}

/** One sentence naming the parameter at fault and what was expected of it. */
export function describeValidationError(error: ErrorObject): string {
  const name = paramName(error);
  const schema = error.parentSchema as SchemaLike | undefined;
  const expected = schema ? describeSchema(schema) : undefined;
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
      return `parameter "${name}" has a wrong value${expected ? `: expected ${expected}` : ''}`;
    case 'type':
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
    case 'minLength':
    case 'maxLength':
    case 'pattern':
      if (expected) return `parameter "${name}" must be ${expected}`;
      return `parameter "${name}" ${error.message ?? 'is invalid'}`;
    default:
      return `parameter "${name}" ${schema?.expect ? `must be ${schema.expect}` : (error.message ?? 'is invalid')}`;
  }
}

/**
 * The error worth describing. For a union (TypeBox literals and alternatives compile to anyOf), ajv lists each
 * branch's failure first and the anyOf last: only the anyOf says everything the parameter may be.
 */
function mainError(errors: ErrorObject[]): ErrorObject {
  const first = errors[0];
  const union = errors.find(
    (error) =>
      error.keyword === 'anyOf' &&
      (first.instancePath === error.instancePath || first.instancePath.startsWith(`${error.instancePath}/`)),
  );
  return union ?? first;
}

/** Validates a request's parameters against its method's schema; throws a 400 ApiError naming the field. */
export function validateParams(name: MethodName, message: Record<string, unknown>): void {
  let validate = compiled.get(name);
  if (!validate) {
    validate = ajv.compile(methods[name].params);
    compiled.set(name, validate);
  }
  if (!validate(message)) {
    const errors = validate.errors ?? [];
    throw new ApiError(
      ErrorCode.BadRequest,
      errors.length > 0 ? describeValidationError(mainError(errors)) : 'invalid parameters',
    );
  }
}
