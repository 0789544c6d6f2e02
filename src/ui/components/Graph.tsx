/** The provenance graph across agents, drawn with cytoscape: sessions, processes, tool calls, turns, files, sockets. */
import cytoscape from 'cytoscape';
import { useEffect, useRef } from 'react';
import type { Graph as G } from '../types';

const COLORS: Record<string, string> = {
  session: '#2f6fde',
  alert: '#d33',
  event: '#888',
  process: '#6a6',
  'tool-call': '#c80',
  turn: '#a5c',
  file: '#0aa',
  socket: '#0aa',
  mcp: '#c5a',
};

/** `focus`: a node to select and centre (an alert whose provenance was asked for). */
export function Graph({ graph, focus }: { graph: G; focus?: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current) return;
    const cy = cytoscape({
      container: box.current,
      elements: [
        ...graph.nodes.map((n) => ({ data: { id: n.id, label: n.label, kind: n.kind } })),
        ...graph.edges.map((e) => ({
          data: { id: `${e.from}>${e.to}`, source: e.from, target: e.to, label: e.label },
        })),
      ],
      style: [
        {
          selector: 'node',
          style: {
            label: 'data(label)',
            'text-wrap': 'wrap',
            'font-size': 9,
            'text-valign': 'bottom',
            'background-color': (n: cytoscape.NodeSingular) => COLORS[n.data('kind') as string] ?? '#999',
            width: 18,
            height: 18,
          },
        },
        {
          selector: 'node:selected',
          style: { 'border-width': 4, 'border-color': '#111', width: 26, height: 26, 'font-weight': 'bold' },
        },
        {
          selector: 'edge',
          style: {
            label: 'data(label)',
            'font-size': 8,
            'curve-style': 'bezier',
            'target-arrow-shape': 'triangle',
            width: 1.2,
            color: '#555',
          },
        },
      ],
      layout: { name: 'breadthfirst', directed: true, spacingFactor: 1.2 },
    });
    const focused = focus ? cy.getElementById(focus) : undefined;
    if (focused?.nonempty()) {
      focused.select();
      cy.center(focused);
    }
    (window as unknown as { wardenGraph?: cytoscape.Core }).wardenGraph = cy;
    return () => cy.destroy();
  }, [graph, focus]);
  return (
    <div className="graph" ref={box} data-testid="graph" data-nodes={graph.nodes.length} data-focus={focus ?? ''} />
  );
}
