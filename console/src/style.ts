// The graph's Cytoscape style sheet. Each element carries its look in its
// data (colour and shape by kind, from colors.ts; its account's colour),
// so that few rules apply: on a big view every rule costs each element.
import type { StylesheetJson } from 'cytoscape';
import { crossAccountColor } from './colors';

/** The size of an account's aggregate node in the overview. */
export const aggWidth = 200;
export const aggHeight = 66;

/** graphStyle is the style sheet of the graph. */
export function graphStyle(): StylesheetJson {
  return [
    {
      selector: 'node',
      style: {
        label: 'data(label)',
        'font-size': 11,
        'font-family': 'system-ui, sans-serif',
        color: '#1e293b',
        'text-valign': 'bottom',
        'text-margin-y': 3,
        'text-wrap': 'ellipsis',
        'text-max-width': '140px',
        'min-zoomed-font-size': 7,
        width: 26,
        height: 26,
        shape: 'data(shape)' as 'ellipse',
        'background-color': 'data(color)',
        'border-width': 3,
        'border-color': 'data(acolor)',
      },
    },
    {
      selector: 'node[kind = "account-group"]',
      style: {
        shape: 'round-rectangle',
        'background-color': 'data(tint)',
        'border-width': 2,
        'text-valign': 'top',
        'text-halign': 'center',
        'text-margin-y': -4,
        'font-weight': 'bold',
        'font-size': 13,
        color: 'data(acolor)',
        'text-max-width': '400px',
        padding: '16px',
      },
    },
    {
      selector: 'node[kind = "account-agg"]',
      style: {
        shape: 'round-rectangle',
        width: 'data(size)',
        height: 'data(size)',
        'background-color': 'data(tint)',
        'border-width': 3,
        'border-style': 'double',
        'text-valign': 'center',
        'text-wrap': 'wrap',
        'text-max-width': '180px',
        'font-size': 10,
        color: '#0f172a',
      },
    },
    {
      // Fixed sizes: measuring a thousand labels would slow the overview.
      selector: 'node[kind = "account-agg"][^parent]',
      style: { width: aggWidth, height: aggHeight, 'font-size': 11 },
    },
    // A big overview's labels are drawn once zoomed in (graphview.ts).
    // Plain rectangles in the account's colour: the cheapest to draw.
    { selector: 'node[fast = "yes"]', style: { label: '', shape: 'rectangle', 'border-width': 0, 'background-color': 'data(acolor)', 'background-opacity': 0.35 } },
    { selector: 'node[fast = "yes"].labelled', style: { label: 'data(label)' } },
    { selector: 'node[admin = "yes"]', style: { 'font-weight': 'bold', color: '#991b1b' } },
    {
      selector: 'edge',
      style: {
        width: 1.6,
        'curve-style': 'bezier',
        'line-color': 'data(color)',
        'target-arrow-color': 'data(color)',
        'line-style': 'data(lstyle)' as 'solid',
        'target-arrow-shape': 'data(arrow)' as 'triangle',
        'arrow-scale': 0.9,
        'font-size': 10,
        'text-background-color': '#ffffff',
        'text-background-opacity': 0.85,
        'text-background-padding': '1px',
        'min-zoomed-font-size': 8,
      },
    },
    { selector: 'edge[cross = "yes"]', style: { 'line-outline-width': 1.5, 'line-outline-color': crossAccountColor, width: 2.4 } },
    { selector: 'edge[aggregate = "yes"]', style: { width: 'data(weight)', label: 'data(label)', opacity: 0.8, 'curve-style': 'straight', 'line-outline-width': 0 } },
    // The cheapest edges Cytoscape draws, for thousands of them.
    { selector: 'edge[aggregate = "fast"]', style: { width: 'data(weight)', opacity: 0.6, 'curve-style': 'haystack', 'haystack-radius': 0, 'line-outline-width': 0 } },
    { selector: '.faded', style: { opacity: 0.12 } },
    { selector: 'node.path', style: { 'border-width': 5, 'border-color': '#f59e0b', opacity: 1 } },
    { selector: 'node.path[kind = "account-group"]', style: { 'border-width': 2, 'border-color': 'data(acolor)' } },
    { selector: 'edge.path', style: { width: 4, opacity: 1, 'z-index': 10 } },
    { selector: 'node.target', style: { 'border-width': 7, 'border-color': '#111827', 'underlay-color': '#f59e0b', 'underlay-opacity': 0.35, 'underlay-padding': 8 } },
    { selector: 'node:selected', style: { 'overlay-color': '#0ea5e9', 'overlay-opacity': 0.25, 'overlay-padding': 6 } },
    { selector: 'edge:selected', style: { 'overlay-color': '#0ea5e9', 'overlay-opacity': 0.3, 'overlay-padding': 4 } },
  ];
}
