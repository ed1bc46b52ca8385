"""Drawings (matplotlib): plots, diagrams, network_diagram. They draw data they are given and never train."""
