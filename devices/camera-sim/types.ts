/** What the simulated camera says about itself (GetDeviceInformation, discovery scopes). */
export interface CameraIdentity {
  manufacturer: string
  model: string
  firmwareVersion: string
  serialNumber: string
  hardwareId: string
  /** Shown as the onvif://www.onvif.org/name/ scope and as the hostname. */
  name: string
  /** onvif://www.onvif.org/location/ scope. */
  location: string
  /** urn:uuid:... endpoint reference, stable for the life of the simulator. */
  endpointUuid: string
}

export type FaultMode =
  | 'none'
  | 'offline'
  | 'slow'
  | 'malformed'
  | 'wrong-password'
  | 'clock-skew'
  | 'stall'

export const FAULT_MODES: readonly FaultMode[] = ['none', 'offline', 'slow', 'malformed', 'wrong-password', 'clock-skew', 'stall']

export type CameraEvent = 'motion' | 'tamper'

export interface StreamSettings {
  width: number
  height: number
  fps: number
  /** Keyframe interval in frames. */
  gop: number
  bitrateKbps: number
}

/** Effective state the request handlers read; changed by setFault. */
export interface CameraState {
  fault: FaultMode
  /** The password the camera currently accepts (differs from the configured one under wrong-password). */
  password: string
  /** Offset of the camera's clock from the wall clock, in ms (clock-skew). */
  clockOffsetMs: number
  /** Delay before SOAP answers under `slow`, in ms. */
  slowDelayMs: number
  /** Time every SOAP answer takes when healthy (embedded CPUs take milliseconds per call). */
  soapLatencyMs: number
}
