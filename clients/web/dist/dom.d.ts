/** Creates an element with attributes and children. */
export declare function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Record<string, string>, ...children: (Node | string)[]): HTMLElementTagNameMap[K];
declare const ICONS: {
    chat: string;
    mic: string;
    camera: string;
    hangup: string;
};
/** A small inline icon (decorative: the button carries the label). */
export declare function icon(name: keyof typeof ICONS): HTMLElement;
export {};
