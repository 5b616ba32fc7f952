/**
 * Cheap type predicates over parsed JSON, for the quick request checks that run before zod (see
 * `plainlyValid` in the surfaces): each must be at least as strict as the zod type it stands for.
 */
export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isText = (v: unknown): v is string => typeof v === 'string';
/** `z.string().min(1)` */
export const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
export const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
/** `z.number().int().positive()` (zod's int is a safe integer) */
export const isPositiveInt = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
/** `z.number().int().min(0)` */
export const isNonNegativeInt = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
/** `z.number().min(min).max(max)` */
/** A non-empty array of numbers (an embedding vector). */
export const isNumberArray = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number');

export const within = (min: number, max: number) => (v: unknown): boolean => typeof v === 'number' && v >= min && v <= max;
/** `.optional()` */
export const absentOr = (v: unknown, ok: (v: unknown) => boolean): boolean => v === undefined || ok(v);
/** `.nullish()` */
export const nullishOr = (v: unknown, ok: (v: unknown) => boolean): boolean => v === undefined || v === null || ok(v);
