import { UserError } from '../../errors.js';

/** `tacet jobs`: not implemented yet; says so plainly instead of pretending. */
export async function run(): Promise<number> {
  throw new UserError('tacet jobs is not implemented yet');
}
