import type { Driver } from './types'

/** Driver names in table order; each lives in bench/drivers/<name>.ts. */
export const DRIVERS = ['ours', 'ours-nowal', 'nxtedition', 'classic-level', 'map'] as const
export type DriverName = (typeof DRIVERS)[number]

export async function loadDriver(name: string): Promise<Driver> {
  if (!(DRIVERS as readonly string[]).includes(name)) throw new Error(`unknown driver '${name}' (known: ${DRIVERS.join(', ')})`)
  const module = (await import(`./${name}`)) as { createDriver(): Driver }
  return module.createDriver()
}
