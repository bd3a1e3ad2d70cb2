import { UserError } from '../../errors.js';

/** `tacet completion`: not implemented yet; says so plainly instead of pretending. */
export async function run(): Promise<number> {
  throw new UserError('tacet completion is not implemented yet');
}
