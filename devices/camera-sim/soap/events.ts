import type { TamperShape } from '../quirks.js'
import type { CameraEvent } from '../types.js'
import { isoSeconds } from './envelope.js'
import { ANALYTICS_CONFIG_TOKEN, VIDEO_SOURCE_CONFIG_TOKEN, VIDEO_SOURCE_TOKEN } from './media.js'
import { escapeXml as x } from './xml.js'

export const TOPIC_MOTION_ALARM = 'tns1:VideoSource/MotionAlarm'
export const TOPIC_CELL_MOTION = 'tns1:RuleEngine/CellMotionDetector/Motion'
export const TOPIC_TAMPER = 'tns1:VideoSource/GlobalSceneChange/ImagingService'
export const TOPIC_TAMPER_DETECTOR = 'tns1:RuleEngine/TamperDetector/Tamper'

const CONCRETE_SET = 'http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet'

/** One ONVIF notification (ONVIF Core 9.1.2 message format). */
export interface Notification {
  topic: string
  utcMs: number
  /** Initialized: the state when a subscription starts; Changed: a transition (property events, Core 9.2.1). */
  operation: 'Initialized' | 'Changed'
  source: Array<[string, string]>
  data: Array<[string, string]>
}

/** How this camera shapes its events (quirks.ts). */
export interface EventShape {
  tamper: TamperShape
  /** xs:boolean as 1/0 rather than true/false. */
  booleanDigits: boolean
}

export const DEFAULT_EVENT_SHAPE: EventShape = { tamper: 'scene-change', booleanDigits: false }

const ANALYTICS_SOURCE: Array<[string, string]> = [
  ['VideoSourceConfigurationToken', VIDEO_SOURCE_CONFIG_TOKEN], ['VideoAnalyticsConfigurationToken', ANALYTICS_CONFIG_TOKEN],
]

/** The property events behind one trigger, with their Source items as real cameras fill them. */
export function notificationsFor(
  event: CameraEvent, state: boolean, utcMs: number, operation: Notification['operation'], shape: EventShape = DEFAULT_EVENT_SHAPE,
): Notification[] {
  const value = shape.booleanDigits ? (state ? '1' : '0') : String(state)
  if (event === 'tamper') {
    if (shape.tamper === 'scene-change') {
      return [{ topic: TOPIC_TAMPER, utcMs, operation, source: [['Source', VIDEO_SOURCE_TOKEN]], data: [['State', value]] }]
    }
    return [{
      topic: TOPIC_TAMPER_DETECTOR, utcMs, operation, source: [...ANALYTICS_SOURCE, ['Rule', 'MyTamperDetectorRule']],
      data: [[shape.tamper === 'tamper-detector' ? 'IsTamper' : 'State', value]],
    }]
  }
  return [
    { topic: TOPIC_MOTION_ALARM, utcMs, operation, source: [['Source', VIDEO_SOURCE_TOKEN]], data: [['State', value]] },
    {
      topic: TOPIC_CELL_MOTION, utcMs, operation,
      source: [...ANALYTICS_SOURCE, ['Rule', 'MyMotionDetectorRule']],
      data: [['IsMotion', value]],
    },
  ]
}

const items = (list: Array<[string, string]>) => list.map(([n, v]) => `<tt:SimpleItem Name="${x(n)}" Value="${x(v)}"/>`).join('')

export function notificationXml(n: Notification): string {
  return `<wsnt:NotificationMessage><wsnt:Topic Dialect="${CONCRETE_SET}">${n.topic}</wsnt:Topic>` +
    `<wsnt:Message><tt:Message UtcTime="${new Date(n.utcMs).toISOString()}" PropertyOperation="${n.operation}">` +
    `<tt:Source>${items(n.source)}</tt:Source><tt:Data>${items(n.data)}</tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage>`
}

function description(source: Array<[string, string]>, data: Array<[string, string]>): string {
  const d = (l: Array<[string, string]>) => l.map(([n, t]) => `<tt:SimpleItemDescription Name="${n}" Type="${t}"/>`).join('')
  return `<tt:MessageDescription IsProperty="true"><tt:Source>${d(source)}</tt:Source><tt:Data>${d(data)}</tt:Data></tt:MessageDescription>`
}

/** ONVIF Events 5.5 GetEventProperties: the fixed topic set this camera can raise. */
export function eventProperties(shape: EventShape = DEFAULT_EVENT_SHAPE): string {
  const src = description([['Source', 'tt:ReferenceToken']], [['State', 'xs:boolean']])
  const analytics: Array<[string, string]> = [['VideoSourceConfigurationToken', 'tt:ReferenceToken'], ['VideoAnalyticsConfigurationToken', 'tt:ReferenceToken'], ['Rule', 'xs:string']]
  const cell = description(analytics, [['IsMotion', 'xs:boolean']])
  const sceneChange = shape.tamper === 'scene-change'
    ? `<tns1:GlobalSceneChange><tns1:ImagingService wstop:topic="true">${src}</tns1:ImagingService></tns1:GlobalSceneChange>`
    : ''
  const tamperDetector = shape.tamper === 'scene-change'
    ? ''
    : `<tns1:TamperDetector><tns1:Tamper wstop:topic="true">${description(analytics, [[shape.tamper === 'tamper-detector' ? 'IsTamper' : 'State', 'xs:boolean']])}</tns1:Tamper></tns1:TamperDetector>`
  return '<tev:GetEventPropertiesResponse>' +
    '<tev:TopicNamespaceLocation>http://www.onvif.org/onvif/ver10/topics/topicns.xml</tev:TopicNamespaceLocation>' +
    '<wsnt:FixedTopicSet>true</wsnt:FixedTopicSet><wstop:TopicSet>' +
    `<tns1:VideoSource><tns1:MotionAlarm wstop:topic="true">${src}</tns1:MotionAlarm>${sceneChange}</tns1:VideoSource>` +
    `<tns1:RuleEngine><tns1:CellMotionDetector><tns1:Motion wstop:topic="true">${cell}</tns1:Motion></tns1:CellMotionDetector>${tamperDetector}</tns1:RuleEngine>` +
    '</wstop:TopicSet>' +
    `<wsnt:TopicExpressionDialect>${CONCRETE_SET}</wsnt:TopicExpressionDialect>` +
    '<wsnt:TopicExpressionDialect>http://docs.oasis-open.org/wsn/t-1/TopicExpression/Concrete</wsnt:TopicExpressionDialect>' +
    '<tev:MessageContentFilterDialect>http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter</tev:MessageContentFilterDialect>' +
    '<tev:MessageContentSchemaLocation>http://www.onvif.org/onvif/ver10/schema/onvif.xsd</tev:MessageContentSchemaLocation>' +
    '</tev:GetEventPropertiesResponse>'
}

export function createPullPointResponse(address: string, nowMs: number, terminationMs: number): string {
  return `<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference><wsa5:Address>${x(address)}</wsa5:Address></tev:SubscriptionReference>` +
    `<wsnt:CurrentTime>${isoSeconds(nowMs)}</wsnt:CurrentTime><wsnt:TerminationTime>${isoSeconds(terminationMs)}</wsnt:TerminationTime>` +
    '</tev:CreatePullPointSubscriptionResponse>'
}

export function pullMessagesResponse(nowMs: number, terminationMs: number, messages: Notification[]): string {
  return `<tev:PullMessagesResponse><tev:CurrentTime>${isoSeconds(nowMs)}</tev:CurrentTime><tev:TerminationTime>${isoSeconds(terminationMs)}</tev:TerminationTime>` +
    messages.map(notificationXml).join('') + '</tev:PullMessagesResponse>'
}

export function renewResponse(nowMs: number, terminationMs: number): string {
  return `<wsnt:RenewResponse><wsnt:TerminationTime>${isoSeconds(terminationMs)}</wsnt:TerminationTime><wsnt:CurrentTime>${isoSeconds(nowMs)}</wsnt:CurrentTime></wsnt:RenewResponse>`
}

export function unsubscribeResponse(): string {
  return '<wsnt:UnsubscribeResponse/>'
}
