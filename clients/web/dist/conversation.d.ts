import type { Mode, SessionEvent } from "./sdk.js";
import { type Strings } from "./strings.js";
/** Who reads the transcript. */
export interface Reader {
    /** Their `sub` (their own messages show on the right). */
    me?: string;
    /** A customer reads the customer's version. */
    audience: "customer" | "staff";
    strings: Strings;
    /** Queue name -> team name shown to customers ("Bob from Billing joined"). */
    teams?: Record<string, string>;
}
/** Two or fewer initials of a name, for an avatar. */
export declare function initials(name: string): string;
/** What a mode is called in a sentence ("a video call"). */
export declare function callName(mode: Mode, s: Strings): string;
/** What a mode is called as a label ("Video call"). */
export declare function modeLabel(mode: Mode, s: Strings): string;
/** The rendered transcript of one session. */
export declare class Conversation {
    private reader;
    /** The element to place on the page (a live region). */
    readonly root: HTMLElement;
    private group?;
    private requests;
    private team?;
    private leftOffline;
    private seen;
    constructor(reader: Reader, testId: string, label: string);
    /** Who is reading (known once connected). */
    setMe(sub: string | undefined): void;
    /** Adds one stored event (a replayed one seen already is ignored). */
    add(e: SessionEvent): void;
    /** The system line for `e`; `null` for a bubble, `undefined` for nothing. */
    private line;
    private system;
    private bubble;
}
