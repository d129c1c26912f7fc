"""Lecture 14: reinforcement learning (Bellman expectation updates on a grid world, returns, Q-learning and
DQN, epsilon-greedy exploration, value iteration, REINFORCE)."""
