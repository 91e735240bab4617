/** One calendar day in milliseconds; Vietnam keeps no daylight saving time, so every local day is this long. */
export const DAY_MS = 86_400_000
