import { ValidationError } from '@rollgate/shared-domain';

export type FilterErrorCode =
  | 'filter_syntax_error' | 'filter_unknown_field' | 'filter_unknown_operator' | 'filter_operator_not_allowed' | 'filter_invalid_value';

/** A filter refused at the edge (HTTP 400), with the 0-based position in the query and what was wrong. */
export class FilterError extends ValidationError {
  constructor(
    code: FilterErrorCode,
    message: string,
    readonly position: number,
    readonly field?: string,
    readonly operator?: string,
  ) {
    super(`${message} (at position ${position})`, [{ path: 'q', message: `${message} at position ${position}` }], code);
  }
}
