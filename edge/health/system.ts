import { readFile } from 'node:fs/promises'

/** CPU temperature in °C from the kernel's thermal zone (Raspberry Pi: the SoC), or null where there is none. */
export async function readCpuTempC(path = '/sys/class/thermal/thermal_zone0/temp'): Promise<number | null> {
  try {
    const milli = Number((await readFile(path, 'utf8')).trim())
    return Number.isFinite(milli) ? Math.round(milli / 100) / 10 : null
  } catch {
    return null
  }
}
