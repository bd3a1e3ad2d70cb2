import { UserError } from '../../errors.js';

/** `tacet levels`: not implemented yet; says so plainly instead of pretending. */
export async function run(): Promise<number> {
  throw new UserError('tacet levels is not implemented yet');
}
