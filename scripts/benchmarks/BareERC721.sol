// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @notice Baseline for the gas benchmark: OpenZeppelin's ERC-721 with nothing added.
contract BareERC721 is ERC721("Bare", "BARE") {
    function mint(address to, uint256 id) external {
        _mint(to, id);
    }
}
