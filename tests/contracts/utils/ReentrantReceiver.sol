// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {WarehouseReceipts} from "../../../contracts/WarehouseReceipts.sol";

/// @notice An admitted member contract that, when a receipt arrives through `safeTransferFrom`,
/// re-enters the receipts contract from inside `onERC721Received` with the call it was armed with
/// (built by the test, with `RECEIVED_ID` standing for the id just received), and records whether the
/// re-entrant call went through and what it reverted with. It always accepts the receipt, so the
/// outer transfer completes whatever the re-entrant call did.
contract ReentrantReceiver {
    /// @dev Placeholder in an armed call's first argument: replaced by the id being received.
    uint256 public constant RECEIVED_ID = type(uint256).max;

    WarehouseReceipts public immutable wr;

    bytes[] internal _calls;
    bool public reentered;
    bool[] public succeeded;
    bytes[] internal _results;
    uint256 public callbacks;
    /// @dev What the contract told the callback: operator, previous owner, id.
    address public lastOperator;
    address public lastFrom;
    uint256 public lastId;
    /// The first callback's sender and id: a re-entrant transfer to itself calls back a second time
    /// with itself as sender, which overwrites the `last*` fields.
    address public firstFrom;
    uint256 public firstId;
    /// @dev Re-enter only on the first callback, so a re-entrant safe transfer to this contract
    /// does not loop.
    uint256 public maxCallbacks = 1;

    constructor(WarehouseReceipts wr_) {
        wr = wr_;
    }

    /// @notice Arms the receiver with the calls to make, in order, on the next callback.
    function arm(bytes[] calldata calls) external {
        delete _calls;
        delete succeeded;
        delete _results;
        for (uint256 i = 0; i < calls.length; ++i) {
            _calls.push(calls[i]);
        }
        reentered = false;
        callbacks = 0;
    }

    function setMaxCallbacks(uint256 n) external {
        maxCallbacks = n;
    }

    function result(uint256 i) external view returns (bytes memory) {
        return _results[i];
    }

    /// @notice Lets the test act as this contract outside a callback (e.g. to take a pledge first).
    function act(bytes calldata data) external returns (bytes memory) {
        (bool ok, bytes memory ret) = address(wr).call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        return ret;
    }

    function onERC721Received(address operator, address from, uint256 id, bytes calldata)
        external
        returns (bytes4)
    {
        require(msg.sender == address(wr), "receiver: not the receipts contract");
        ++callbacks;
        (lastOperator, lastFrom, lastId) = (operator, from, id);
        if (callbacks == 1) (firstFrom, firstId) = (from, id);
        if (callbacks <= maxCallbacks && !reentered) {
            reentered = true;
            for (uint256 i = 0; i < _calls.length; ++i) {
                bytes memory data = _calls[i];
                // Substitute the received id for the placeholder in the first argument.
                uint256 first;
                assembly ("memory-safe") {
                    first := mload(add(data, 0x24))
                }
                if (data.length >= 0x24 && first == RECEIVED_ID) {
                    assembly ("memory-safe") {
                        mstore(add(data, 0x24), id)
                    }
                }
                (bool ok, bytes memory ret) = address(wr).call(data);
                succeeded.push(ok);
                _results.push(ret);
            }
        }
        return this.onERC721Received.selector;
    }
}

/// @notice A holder contract with no callback at all: any call into it reverts. Receivables must
/// move pieces to it without calling it (no hooks, no re-entrancy surface).
contract Unreceptive {
    fallback() external payable {
        revert("unreceptive: called");
    }
}
