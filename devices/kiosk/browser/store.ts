/**
 * Ratings not yet acknowledged by the edge, kept in IndexedDB so a Wi-Fi
 * drop, a broker restart or a reload of the tablet loses nothing. A record
 * leaves only when its PUBACK arrives (sender.ts).
 */

export interface Pending {
  /** The rating's event id; a resend reuses it so the edge can dedup. */
  id: string
  topic: string
  payload: string
  createdAt: number
}

export interface PendingStore {
  put(p: Pending): Promise<void>
  delete(id: string): Promise<void>
  all(): Promise<Pending[]>
  /** 'indexeddb', or 'memory' when the browser refused IndexedDB (shown to staff). */
  readonly kind: 'indexeddb' | 'memory'
}

const STORE = 'pending'

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result)
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'))
  })
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve()
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'))
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'))
  })
}

export async function openIndexedDbStore(name: string, idb: IDBFactory = indexedDB): Promise<PendingStore> {
  const open = idb.open(name, 1)
  open.onupgradeneeded = () => open.result.createObjectStore(STORE, { keyPath: 'id' })
  const db = await request(open)
  return {
    kind: 'indexeddb',
    async put(p) {
      // Chromium's default durability is 'relaxed' (no flush before complete); a rating must survive a power cut.
      const tx = db.transaction(STORE, 'readwrite', { durability: 'strict' })
      tx.objectStore(STORE).put(p)
      await done(tx)
    },
    async delete(id) {
      const tx = db.transaction(STORE, 'readwrite')
      tx.objectStore(STORE).delete(id)
      await done(tx)
    },
    async all() {
      const rows = await request(db.transaction(STORE, 'readonly').objectStore(STORE).getAll() as IDBRequest<Pending[]>)
      return rows.sort((a, b) => a.createdAt - b.createdAt)
    },
  }
}

export function memoryStore(): PendingStore {
  const rows = new Map<string, Pending>()
  return {
    kind: 'memory',
    put: async (p) => void rows.set(p.id, p),
    delete: async (id) => void rows.delete(id),
    all: async () => [...rows.values()].sort((a, b) => a.createdAt - b.createdAt),
  }
}

/** IndexedDB, or memory when the browser refuses it (private mode, quota): a citizen must still be able to rate. */
export async function openPendingStore(name: string): Promise<PendingStore> {
  try {
    return await openIndexedDbStore(name)
  } catch {
    return memoryStore()
  }
}
